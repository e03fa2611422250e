"""Route handlers: typed params in, models called, API objects (with expand) out."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.sandbox import urls
from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.expand import expand
from reconciler.sandbox.models import (
    account,
    balances,
    catalog,
    charges,
    coupons,
    credit_notes,
    customers,
    events,
    invoice_payments,
    invoiceitems,
    invoices,
    lifecycle,
    lines,
    payment_methods,
    revisions,
    tax_ids,
    taxrates,
    webhooks,
)
from reconciler.sandbox.models.base import Context, Obj, Params
from reconciler.sandbox.store import Tx

Handler = Callable[[Context, Tx, list[str], Params], Obj]

# Params a handler implements beyond what its model reads: anything else the
# SDK allows is refused rather than silently ignored (a lax emulator hides bugs).
SUPPORTED: dict[str, frozenset[str]] = {}
# Every handler by name, as urls.ROUTES names them.
HANDLERS: dict[str, Handler] = {}


def _supports(*names: str, expand: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler and the params it implements (`expand` too, unless the
    SDK's params class has none, as for deletes)."""

    def register(fn: Handler) -> Handler:
        SUPPORTED[fn.__name__] = frozenset(names) | ({"expand"} if expand else set())
        HANDLERS[fn.__name__] = fn
        return fn

    return register


_LIST = ("limit", "starting_after", "ending_before", "created")


@_supports("id", "metadata", *catalog.PRODUCT_FIELDS)
def create_product(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.create_product(ctx, tx, params)


@_supports()
def retrieve_product(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.retrieve_product(ctx, tx, ids[0])


@_supports("metadata", *catalog.PRODUCT_FIELDS, "default_price")
def update_product(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.update_product(ctx, tx, ids[0], params)


@_supports(expand=False)
def delete_product(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.delete_product(ctx, tx, ids[0])


@_supports(*_LIST, "active", "ids")
def list_product(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.list_products(ctx, tx, params)


@_supports("product", "product_data", "unit_amount", "unit_amount_decimal", "currency", "lookup_key",
           "transfer_lookup_key", "nickname", "active", "metadata", "tax_behavior", "recurring")
def create_price(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.create_price(ctx, tx, params)


@_supports()
def retrieve_price(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.retrieve_price(ctx, tx, ids[0])


@_supports("active", "nickname", "metadata", "lookup_key", "transfer_lookup_key", "tax_behavior")
def update_price(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return catalog.update_price(ctx, tx, ids[0], params)


@_supports(*_LIST, "product", "active", "lookup_keys", "currency", "type")
def list_price(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    if params.get("type", "one_time") != "one_time":
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/prices"}
    return catalog.list_prices(ctx, tx, params)


_CUSTOMER_FIELDS = ("metadata", *customers.PARAMS)


@_supports(*_CUSTOMER_FIELDS, "balance", "tax_id_data")
def create_customer(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return customers.create(ctx, tx, params)


@_supports()
def retrieve_customer(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return customers.retrieve(ctx, tx, ids[0])


@_supports(*_CUSTOMER_FIELDS, "balance")
def update_customer(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return customers.update(ctx, tx, ids[0], params)


@_supports(expand=False)
def delete_customer(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return customers.delete(ctx, tx, ids[0])


@_supports(*_LIST, "email")
def list_customer(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return customers.list_customers(ctx, tx, params)


@_supports("amount", "currency", "description", "metadata")
def create_balance_transaction(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return balances.create(ctx, tx, ids[0], params)


@_supports("limit", "starting_after", "ending_before", "created", "invoice")
def list_balance_transaction(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return balances.list_entries(ctx, tx, ids[0], params)


_TAX_RATE_FIELDS = ("active", "country", "description", "display_name", "jurisdiction", "metadata", "state",
                    "tax_type")


@_supports(*_TAX_RATE_FIELDS, "inclusive", "percentage")
def create_tax_rate(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return taxrates.create(ctx, tx, params)


@_supports()
def retrieve_tax_rate(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return taxrates.retrieve(ctx, tx, ids[0])


@_supports(*_TAX_RATE_FIELDS)
def update_tax_rate(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return taxrates.update(ctx, tx, ids[0], params)


@_supports(*_LIST, "active", "inclusive")
def list_tax_rate(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return taxrates.list_rates(ctx, tx, params)


@_supports("id", "name", "metadata", "percent_off", "amount_off", "currency", "duration", "duration_in_months",
           "max_redemptions", "redeem_by")
def create_coupon(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return coupons.create(ctx, tx, params)


@_supports()
def retrieve_coupon(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return coupons.retrieve(ctx, tx, ids[0])


@_supports("name", "metadata")
def update_coupon(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return coupons.update(ctx, tx, ids[0], params)


@_supports(expand=False)
def delete_coupon(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return coupons.delete(ctx, tx, ids[0])


@_supports(*_LIST)
def list_coupon(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return coupons.list_coupons(ctx, tx, params)


_INVOICE_FIELDS = ("auto_advance", "collection_method", "custom_fields", "days_until_due",
                   "default_payment_method", "default_tax_rates", "description", "discounts", "due_date",
                   "automatic_tax",
                   "footer", "metadata",
                   "statement_descriptor", "rendering", "number", "automatically_finalizes_at",
                   "effective_at", "account_tax_ids")


@_supports(*_INVOICE_FIELDS, "customer", "currency", "pending_invoice_items_behavior", "payment_settings",
           "from_invoice")
def create_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    if "from_invoice" in params:
        return revisions.create(ctx, tx, params)
    return invoices.create(ctx, tx, params)


@_supports()
def retrieve_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoices.retrieve(ctx, tx, ids[0])


@_supports(*_INVOICE_FIELDS, "default_source", "payment_settings")
def update_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoices.update(ctx, tx, ids[0], params)


@_supports(expand=False)
def delete_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoices.delete(ctx, tx, ids[0])


@_supports(*_LIST, "customer", "status", "collection_method")
def list_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoices.list_invoices(ctx, tx, params)


@_supports("auto_advance")
def finalize_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return lifecycle.finalize(ctx, tx, ids[0], params)


@_supports()
def send_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return lifecycle.send(ctx, tx, ids[0], params)


@_supports()
def void_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return lifecycle.void(ctx, tx, ids[0], params)


@_supports()
def mark_uncollectible_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return lifecycle.mark_uncollectible(ctx, tx, ids[0], params)


@_supports("paid_out_of_band", "payment_method", "off_session")
def pay_invoice(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return lifecycle.pay(ctx, tx, ids[0], params)


@_supports("limit", "starting_after", "ending_before")
def list_invoice_lines(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return lines.list_lines(ctx, tx, ids[0], params)


_ITEM_FIELDS = ("amount", "description", "discountable", "discounts", "metadata", "period", "pricing",
                "quantity", "price_data", "quantity_decimal", "tax_rates", "unit_amount_decimal")


@_supports(*_ITEM_FIELDS, "customer", "currency", "invoice")
def create_invoiceitem(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoiceitems.create(ctx, tx, params)


@_supports()
def retrieve_invoiceitem(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoiceitems.retrieve(ctx, tx, ids[0])


@_supports(*_ITEM_FIELDS)
def update_invoiceitem(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoiceitems.update(ctx, tx, ids[0], params)


@_supports(expand=False)
def delete_invoiceitem(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoiceitems.delete(ctx, tx, ids[0])


@_supports(*_LIST, "customer", "invoice", "pending")
def list_invoiceitem(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoiceitems.list_items(ctx, tx, params)


@_supports(*_LIST, "invoice", "status", "payment")
def list_invoice_payment(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoice_payments.list_payments(ctx, tx, params)


@_supports("customer")
def attach_payment_method(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return payment_methods.attach(ctx, tx, ids[0], params)


@_supports("limit", "starting_after", "ending_before", "customer", "type")
def list_payment_method(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return payment_methods.list_methods(ctx, tx, params)


@_supports()
def retrieve_payment_method(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return payment_methods.retrieve(ctx, tx, ids[0])


@_supports("limit", "starting_after", "ending_before", "type")
def list_customer_payment_method(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return payment_methods.list_for_customer(ctx, tx, ids[0], params, f"/v1/customers/{ids[0]}/payment_methods")


@_supports()
def retrieve_payment_intent(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return charges.retrieve_intent(ctx, tx, ids[0])


@_supports()
def retrieve_charge(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return charges.retrieve_charge(ctx, tx, ids[0])


@_supports("charge", "payment_intent", "amount", "metadata", "reason")
def create_refund(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return charges.refund(ctx, tx, params)


@_supports()
def retrieve_refund(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return charges.retrieve_refund(ctx, tx, ids[0])


_CREDIT_NOTE = ("invoice", "amount", "lines", "reason", "memo", "metadata", "refund_amount", "credit_amount",
                "out_of_band_amount", "email_type", "effective_at")


@_supports(*_CREDIT_NOTE)
def create_credit_note(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.create(ctx, tx, params)


@_supports(*_CREDIT_NOTE)
def preview_credit_note(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.preview(ctx, tx, params)


@_supports(*_CREDIT_NOTE, "limit", "starting_after", "ending_before")
def preview_credit_note_lines(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.preview_lines(ctx, tx, params)


@_supports()
def retrieve_credit_note(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.retrieve(ctx, tx, ids[0])


@_supports("memo", "metadata")
def update_credit_note(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.update(ctx, tx, ids[0], params)


@_supports(*_LIST, "invoice", "customer")
def list_credit_note(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.list_notes(ctx, tx, params)


@_supports()
def void_credit_note(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.void(ctx, tx, ids[0], params)


@_supports("limit", "starting_after", "ending_before")
def list_credit_note_lines(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return credit_notes.list_lines(ctx, tx, ids[0], params)


@_supports()
def retrieve_account(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return account.retrieve(ctx)


@_supports()
def retrieve_invoice_payment(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return invoice_payments.retrieve(ctx, tx, ids[0])


@_supports(*_LIST, "type", "types")
def list_event(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return events.list_events(ctx, tx, params)


@_supports()
def retrieve_event(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return events.retrieve(ctx, tx, ids[0])


@_supports("url", "enabled_events", "description", "metadata", "api_version")
def create_webhook_endpoint(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    webhooks.validate_url(params["url"])
    return webhooks.create(ctx, tx, params)


@_supports()
def retrieve_webhook_endpoint(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return webhooks.retrieve(ctx, tx, ids[0])


@_supports("url", "enabled_events", "description", "metadata", "disabled")
def update_webhook_endpoint(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return webhooks.update(ctx, tx, ids[0], params)


@_supports(expand=False)
def delete_webhook_endpoint(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return webhooks.delete(ctx, tx, ids[0])


@_supports("limit", "starting_after", "ending_before")
def list_webhook_endpoint(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return webhooks.list_endpoints(ctx, tx, params)


# Tax IDs (issue 18): a customer's under /v1/customers/{id}/tax_ids, the account's own at /v1/tax_ids.
@_supports("type", "value")
def create_customer_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.create_for_customer(ctx, tx, ids[0], params)


@_supports("limit", "starting_after", "ending_before")
def list_customer_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.list_for_customer(ctx, tx, ids[0], params)


@_supports()
def retrieve_customer_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.retrieve(ctx, tx, ids[1], ids[0])


@_supports(expand=False)
def delete_customer_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.delete(ctx, tx, ids[1], ids[0])


@_supports("type", "value", "owner")
def create_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.create(ctx, tx, params)


@_supports("limit", "starting_after", "ending_before", "owner")
def list_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.list_tax_ids(ctx, tx, params)


@_supports()
def retrieve_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.retrieve(ctx, tx, ids[0])


@_supports(expand=False)
def delete_tax_id(ctx: Context, tx: Tx, ids: list[str], params: Params) -> Obj:
    return tax_ids.delete(ctx, tx, ids[0])


def _resolve_routes() -> dict[str, tuple[Handler, frozenset[str]]]:
    """Each route's handler and supported params, by route label; a route naming
    no handler fails the import, not its first request."""
    missing = sorted({route.handler for route in urls.ROUTES} - set(HANDLERS))
    if missing:
        raise RuntimeError(f"urls.ROUTES names handlers that do not exist: {', '.join(missing)}")
    return {route.label: (HANDLERS[route.handler], SUPPORTED[route.handler]) for route in urls.ROUTES}


def check_supported(route: urls.Route, params: Params) -> None:
    supported = _BY_ROUTE[route.label][1]
    for name in params:
        if name not in supported:
            raise InvalidRequest(
                f"The sandbox does not emulate the parameter '{name}' on this endpoint.",
                code="parameter_unsupported_by_sandbox", param=name,
            )


def dispatch(ctx: Context, tx: Tx, route: urls.Route, ids: list[str], params: Params) -> Obj:
    handler = _BY_ROUTE[route.label][0]
    result = handler(ctx, tx, ids, params)
    for path in params.get("expand", []):
        result = expand(tx, result, path.split("."), path)
    return result


_BY_ROUTE = _resolve_routes()
