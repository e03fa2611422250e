"""A saved plan that creates tax rates and coupons applies: their fractional figures survive the file."""

from __future__ import annotations

import json

import pytest
from plan_builders import desired

from reconciler.live.records import Live
from reconciler.plan.errors import PlanFileError
from reconciler.plan.plan import Plan
from reconciler.plan.planner import make_plan
from reconciler.spec.models import CouponSpec, TaxRateSpec


def test_a_tax_rates_percentage_and_a_coupons_percent_off_survive_the_plan_file() -> None:
    d = desired(tax_rates={"vat": TaxRateSpec(display_name="VAT", percentage=8.875, inclusive=False)},
                coupons={"third": CouponSpec(name="Third", percent_off=33.33)})
    plan = make_plan(d, Live())
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again.actions == plan.actions
    params = {a.kind: a.params for a in again.actions}  # type: ignore[attr-defined]
    assert (params["tax_rate"]["percentage"], params["coupon"]["percent_off"]) == (8.875, 33.33)


def test_a_plan_file_with_a_number_that_is_not_finite_is_refused() -> None:
    d = desired(tax_rates={"vat": TaxRateSpec(display_name="VAT", percentage=19, inclusive=False)})
    data = make_plan(d, Live()).to_json()
    data["actions"][0]["params"]["percentage"] = float("nan")
    with pytest.raises(PlanFileError, match="unsupported value nan"):
        Plan.from_json(json.loads(json.dumps(data)))
