"""Who is billed: a customer's address, shipping details, tax IDs and invoice defaults (issue 18).

Field names, shapes and limits are Stripe's (docs/spec-format.md cites each). Every one is the
tool's only where a spec names it (kinds.Field.named_only): an address a customer entered in the
portal is never unset because a spec says nothing of it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.spec.countries import ISO_3166_ALPHA_2
from reconciler.spec.document import MAX_CUSTOM_FIELDS, AmountTaxDisplay, CustomField

# stripe-python's CustomerCreateParams: "Must be 1–12 uppercase letters or numbers."
INVOICE_PREFIX_PATTERN = r"^[A-Z0-9]{1,12}$"
# Stripe's OpenAPI maxLength of an address line, a city, a shipping name (docs/spec-format.md).
MAX_ADDRESS_TEXT = 5000
# The tax ID types of the pinned SDK (stripe-python's CustomerCreateTaxIdParams.type); a test checks
# this copy against the SDK, which validate must not import.
TAX_ID_TYPES: frozenset[str] = frozenset(
    """
    ad_nrt ae_trn al_tin am_tin ao_tin ar_cuit au_abn au_acn au_arn au_wpn aw_tin az_tin ba_tin
    bb_tin bd_bin bf_ifu bg_uic bh_vat bj_ifu bo_tin br_cnpj br_cpf bs_tin bw_vat by_tin ca_bn
    ca_gst_hst ca_pst_bc ca_pst_mb ca_pst_sk ca_qst cd_nif ch_uid ch_vat ci_vat cl_tin cm_niu
    cn_tin co_nit cr_tin cv_nif cz_dic de_stn do_rcn ec_ruc eg_tin es_cif et_tin eu_oss_vat eu_vat
    fo_vat fr_siren fr_siret fr_spi gb_vat ge_vat gh_tin gi_tin gn_nif hk_br hr_oib hu_tin ic_nif
    id_npwp il_vat in_gst is_kt is_vat it_cf jp_cn jp_rn jp_trn ke_pin kg_tin kh_tin kr_brn kz_bin
    la_tin li_uid li_vat lk_vat ma_vat md_cf md_vat me_pib mk_vat mr_nif mu_vat mx_rfc my_frp
    my_itn my_sst mz_nuit ng_tin no_vat no_voec np_pan nz_bn nz_gst om_vat pe_ruc ph_tin pl_nip
    pt_nif py_ruc ro_tin rs_pib ru_inn ru_kpp sa_vat sg_gst sg_uen si_tin sm_coe sn_ninea sr_fin
    sv_nit th_vat tj_tin tr_tin tt_bir tt_vat tw_vat tz_vat ua_vat ug_tin us_ein uy_ruc uz_tin
    uz_vat ve_rif vn_tin za_vat zm_tin zw_tin
    """.split()
)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_Text = Field(default=None, max_length=MAX_ADDRESS_TEXT)


class Address(_Part):
    """Stripe's Address: every line optional; `country` an ISO 3166-1 alpha-2 code."""

    line1: str | None = _Text
    line2: str | None = _Text
    city: str | None = _Text
    state: str | None = _Text
    postal_code: str | None = _Text
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. DE, US.")

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str | None) -> str | None:
        if value is not None and value not in ISO_3166_ALPHA_2:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, US, GB)")
        return value


class Shipping(_Part):
    """Where goods go; Stripe prints it on invoices (`name` and `address` are required by Stripe)."""

    name: str = Field(min_length=1, max_length=MAX_ADDRESS_TEXT)
    phone: str | None = Field(default=None, max_length=MAX_ADDRESS_TEXT)
    address: Address


class RenderingOptions(_Part):
    amount_tax_display: AmountTaxDisplay | None = None


class CustomerInvoiceSettings(_Part):
    """Defaults for every invoice of the customer (Stripe's `invoice_settings`, without the payment method)."""

    custom_fields: list[CustomField] | None = Field(default=None, max_length=MAX_CUSTOM_FIELDS)
    footer: str | None = Field(default=None, max_length=5000)
    rendering_options: RenderingOptions | None = None


class TaxId(_Part):
    """A customer tax ID: Stripe keeps each as its own object; a changed value is a delete and a create."""

    type: str = Field(description="Stripe's tax ID type: eu_vat, gb_vat, us_ein, …")
    value: str = Field(min_length=1)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in TAX_ID_TYPES:
            raise ValueError(f"{value!r} is not one of Stripe's tax ID types (eu_vat, gb_vat, us_ein, …)")
        return value


TaxExempt = Literal["none", "exempt", "reverse"]
