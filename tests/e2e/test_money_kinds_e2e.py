"""Tax rates and coupons from specs to the sandbox and back: created, left alone, updated, replaced."""

from __future__ import annotations

from pathlib import Path

from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_cli import on, run

SPEC = """
tax_rates:
  de-vat-19: {display_name: MwSt., percentage: PERCENT, inclusive: false, country: DE}
coupons:
  partner-10: {name: NAME, percent_off: OFF, duration: once}
"""


def _write(tmp_path: Path, *, percent: str = "19", name: str = "Partner", off: str = "10") -> Path:
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    text = SPEC.replace("PERCENT", percent).replace("NAME", name).replace("OFF", off)
    (folder / "money.yaml").write_text(text, encoding="utf-8")
    return folder


def test_rates_and_coupons_are_created_updated_and_replaced(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    first = run("apply", str(_write(tmp_path)), *on(sandbox), "--yes")
    assert first.exit_code == 0, first.output
    (rate,) = client.v1.tax_rates.list().data
    (coupon,) = client.v1.coupons.list().data
    assert (rate.percentage, rate.display_name, coupon.percent_off, coupon.name) == (19.0, "MwSt.", 10.0, "Partner")
    assert coupon.id.startswith("partner-10-") and len(coupon.id) == len("partner-10-") + 8
    again = run("plan", str(_write(tmp_path)), *on(sandbox), "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    renamed = run("plan", str(_write(tmp_path, name="Partner10")), *on(sandbox))
    assert "~ update coupon partner-10" in renamed.output, renamed.output
    changed = _write(tmp_path, percent="7", off="15")
    replaced = run("plan", str(changed), *on(sandbox))
    assert "a Stripe tax rate cannot change percentage: replaces " in replaced.output, replaced.output
    assert "a Stripe coupon cannot change percent_off: replaces partner-10-" in replaced.output
    assert run("apply", str(changed), *on(sandbox), "--yes").exit_code == 0
    rates = {r.percentage: r.active for r in client.v1.tax_rates.list().data}
    assert rates == {19.0: False, 7.0: True}
    (new_coupon,) = client.v1.coupons.list().data
    assert new_coupon.percent_off == 15.0 and new_coupon.id != coupon.id
    settled = run("plan", str(changed), *on(sandbox), "--detailed-exitcode")
    assert settled.exit_code == 0, settled.output
