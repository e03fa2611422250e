"""What an invoice document says beyond its lines: custom fields, service periods, rendering.

Field names and limits are Stripe's (docs/spec-format.md cites each). Dates are calendar
days; the planner sends each as 12:00 UTC of that day, so the printed date is the same
day in every time zone from UTC-11 to UTC+11.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# stripe-python's params (InvoiceCreateParamsCustomField, …): "A list of up to 4 custom fields",
# name "may be up to 40 characters", value "may be up to 140 characters".
MAX_CUSTOM_FIELDS = 4
MAX_CUSTOM_FIELD_NAME = 40
MAX_CUSTOM_FIELD_VALUE = 140


# Stripe takes these days as Unix times, so none before 1970; it documents no upper bound for a date
# of issue or a service period: a day after 2099 is taken as a typo rather than sent (review R3).
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 2), dt.date(2099, 12, 31)


def _in_stripe_range(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()} "
                         "(Stripe takes days as Unix times)")
    return day


StripeDay = Annotated[dt.date, AfterValidator(_in_stripe_range)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CustomField(_Part):
    """One name/value pair printed on the invoice (a PO number, a vendor ID)."""

    name: str = Field(min_length=1, max_length=MAX_CUSTOM_FIELD_NAME)
    value: str = Field(min_length=1, max_length=MAX_CUSTOM_FIELD_VALUE)


CustomFields = list[CustomField]


class Period(_Part):
    """The service period of an invoice line, printed beside it."""

    start: StripeDay
    end: StripeDay

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        return self


class Pdf(_Part):
    page_size: Literal["a4", "letter", "auto"] = Field(
        description="Stripe's `rendering.pdf.page_size`: auto follows the customer's locale."
    )


AmountTaxDisplay = Literal["exclude_tax", "include_inclusive_tax"]


class Rendering(_Part):
    """How the invoice PDF is laid out (Stripe's `rendering`)."""

    amount_tax_display: AmountTaxDisplay | None = None
    pdf: Pdf | None = None


def noon_utc(day: dt.date) -> int:
    """The Unix time Stripe is sent for a calendar day: 12:00 UTC of it."""
    return int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp())


def day_of(timestamp: int) -> dt.date:
    """The calendar day (UTC) of a Unix time Stripe returned."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()
