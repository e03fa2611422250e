"""The runner on plain data: ordering, ref resolution, skipping, fail-fast, results."""

from __future__ import annotations

import io
import json
import random

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import LineReporter, NullReporter
from reconciler.apply.runner import apply_plan, dependency_graph
from reconciler.apply.steps import STEPS
from reconciler.live.records import Live, LiveCustomer
from reconciler.ownership import OWNER_KEY, SEND_DONE, SEND_KEY, SEND_REQUESTED
from reconciler.plan.actions import (
    ALL_ACTIONS,
    AddInvoiceItem,
    CreateCustomer,
    CreateInvoice,
    CreateProduct,
    FinalizeInvoice,
    Ref,
    SendInvoice,
)
from reconciler.plan.plan import Plan

from .fakes import FakeClock, FakeGateway, rate_limited, rejected


def _options(**overrides: object) -> ApplyOptions:
    clock = FakeClock()
    base: dict[str, object] = dict(parallelism=1, max_rps=1000.0, sleep=clock.sleep, clock=clock, rng=random.Random(3))
    base.update(overrides)
    return ApplyOptions(**base)  # type: ignore[arg-type]


def _invoice_chain(key: str, customer: str, *, customer_planned: bool = True) -> list:  # type: ignore[type-arg]
    create = CreateInvoice(
        key=key,
        reason="not in Stripe",
        depends_on=(f"CreateCustomer:{customer}",) if customer_planned else (),
        params={"customer": Ref("customer", customer), "collection_method": "send_invoice", "days_until_due": 30},
    )
    item = AddInvoiceItem(
        key=key,
        reason="r",
        item_key="fee",
        depends_on=(create.id,),
        params={"invoice": Ref("invoice", key), "customer": Ref("customer", customer), "amount": 5000, "currency": "usd"},
    )
    finalize = FinalizeInvoice(key=key, reason="r", depends_on=(item.id,))
    send = SendInvoice(key=key, reason="r", depends_on=(finalize.id,))
    return [create, item, finalize, send]


def _plan(actions: list) -> Plan:  # type: ignore[type-arg]
    return Plan(tuple(actions), fingerprint="f", spec_digest="d")


def test_every_action_type_has_steps() -> None:
    assert set(STEPS) == set(ALL_ACTIONS)


def test_refs_resolve_to_ids_created_earlier_in_the_run() -> None:
    gw = FakeGateway()
    customer = CreateCustomer(key="jenny", reason="r", params={"name": "Jenny", "metadata": {OWNER_KEY: "jenny"}})
    result = apply_plan(_plan([customer, *_invoice_chain("inv", "jenny")]), gw, Live(), options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
    assert result.ok, result.lines()
    assert gw.writes() == [
        ("POST", "/v1/customers"),
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", "/v1/invoices/in_2/finalize"),
        ("POST", "/v1/invoices/in_2"),
        ("POST", "/v1/invoices/in_2/send"),
        ("POST", "/v1/invoices/in_2"),
    ]
    item_params = gw.calls[2][2]
    assert item_params["invoice"] == "in_2" and item_params["customer"] == "cus_1"
    assert gw.invoices["in_2"]["metadata"] == {OWNER_KEY: "inv", SEND_KEY: SEND_DONE}
    assert result.summary_line() == "Apply complete: 5 done, 0 failed, 0 skipped."


def test_refs_fall_back_to_live_state() -> None:
    gw = FakeGateway()
    live = Live(customers={"jenny": LiveCustomer(id="cus_live", key="jenny")})
    result = apply_plan(_plan(_invoice_chain("inv", "jenny", customer_planned=False)), gw, live, options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
    assert result.ok
    assert gw.calls[0][2]["customer"] == "cus_live"


def test_every_post_carries_a_deterministic_key_and_reruns_reuse_it() -> None:
    keys = []
    for _ in range(2):
        gw = FakeGateway()
        customer = CreateCustomer(key="jenny", reason="r", params={"name": "Jenny"})
        apply_plan(_plan([customer, *_invoice_chain("inv", "jenny")]), gw, Live(), options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
        keys.append([k for m, _, _, k in gw.calls if m == "POST"])
    assert keys[0] == keys[1]
    assert all(k and k.startswith("reconciler-") for k in keys[0])
    assert len(set(keys[0])) == len(keys[0])  # mark-requested, send, mark-done all distinct


def test_failure_skips_dependents_transitively_and_independent_work_continues() -> None:
    gw = FakeGateway()
    gw.fail["/v1/invoiceitems"] = [rejected("No such price: 'price_x'")]
    jenny = CreateCustomer(key="jenny", reason="r", params={"name": "Jenny"})
    product = CreateProduct(key="gold", reason="r", params={"name": "Gold"})
    out = io.StringIO()
    result = apply_plan(
        _plan([jenny, *_invoice_chain("inv", "jenny"), product]), gw, Live(), options=_options(), reporter=LineReporter(out)  # type: ignore[arg-type]
    )
    assert [o.id for o in result.done] == ["CreateCustomer:jenny", "CreateInvoice:inv", "CreateProduct:gold"]
    assert [(o.id, o.message) for o in result.failed] == [
        ("AddInvoiceItem:inv:fee", "Stripe rejected the request (400, parameter_invalid): No such price: 'price_x'")
    ]
    assert [(o.id, o.message) for o in result.skipped] == [
        ("FinalizeInvoice:inv", "depends on add item inv/fee, which failed"),
        ("SendInvoice:inv", "depends on add item inv/fee, which failed"),
    ]
    assert not result.ok
    assert result.summary_line() == "Apply complete: 3 done, 1 failed, 2 skipped."
    lines = out.getvalue().splitlines()
    assert "[3/6] FAILED: add item inv/fee: Stripe rejected the request (400, parameter_invalid): No such price: 'price_x'" in lines
    assert lines[-1] == "[6/6] done: create product gold"


def test_fail_fast_stops_scheduling_new_work() -> None:
    gw = FakeGateway()
    gw.fail["/v1/customers"] = [rejected("bad email")]
    jenny = CreateCustomer(key="jenny", reason="r", params={"name": "Jenny"})
    product = CreateProduct(key="gold", reason="r", params={"name": "Gold"})
    result = apply_plan(_plan([jenny, product]), gw, Live(), options=_options(fail_fast=True), reporter=NullReporter())  # type: ignore[arg-type]
    assert [o.id for o in result.failed] == ["CreateCustomer:jenny"]
    assert [(o.id, o.message) for o in result.skipped] == [
        ("CreateProduct:gold", "not started: stopped after the first failure (--fail-fast)")
    ]
    assert gw.writes() == [("POST", "/v1/customers")]


def test_transient_errors_are_retried_and_reported() -> None:
    gw = FakeGateway()
    gw.fail["/v1/products"] = [rate_limited(), rate_limited()]  # two 429s, then success
    out = io.StringIO()
    product = CreateProduct(key="gold", reason="r", params={"name": "Gold"})
    result = apply_plan(_plan([product]), gw, Live(), options=_options(), reporter=LineReporter(out))  # type: ignore[arg-type]
    assert result.ok and result.retries == 2 and result.requests == 3
    keys = {k for m, _, _, k in gw.calls if m == "POST"}
    assert len(keys) == 1  # every retry carries the same idempotency key
    assert "retry: create product gold: attempt 1 failed (rate limited by Stripe (429): too many requests)" in out.getvalue()


def test_result_json_lists_each_outcome() -> None:
    gw = FakeGateway()
    gw.fail["/v1/customers"] = [rejected("bad email")]
    jenny = CreateCustomer(key="jenny", reason="r", params={"name": "Jenny"})
    result = apply_plan(_plan([jenny, *_invoice_chain("inv", "jenny")]), gw, Live(), options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
    data = json.loads(json.dumps(result.to_json()))
    assert data["ok"] is False
    assert data["summary"] == {"done": 0, "failed": 1, "skipped": 4}
    assert data["failed"][0] == {
        "id": "CreateCustomer:jenny",
        "description": "create customer jenny",
        "message": "Stripe rejected the request (400, parameter_invalid): bad email",
    }


def test_parallel_run_respects_dependencies() -> None:
    gw = FakeGateway()
    actions = []
    for i in range(6):
        actions.append(CreateCustomer(key=f"c{i}", reason="r", params={"name": str(i)}))
        actions.extend(_invoice_chain(f"inv{i}", f"c{i}"))
    result = apply_plan(_plan(actions), gw, Live(), options=_options(parallelism=4), reporter=NullReporter())  # type: ignore[arg-type]
    assert result.ok and len(result.done) == 30
    # Each invoice: create before its item, item before finalize, finalize before send.
    for inv_id, inv in gw.invoices.items():
        paths = [p for m, p, _, _ in gw.calls if m == "POST" and inv_id in p]
        assert paths[0] == f"/v1/invoices/{inv_id}/finalize"
        assert paths[-2] == f"/v1/invoices/{inv_id}/send"


def test_implicit_dependency_from_a_ref_to_a_created_object() -> None:
    customer = CreateCustomer(key="jenny", reason="r", params={})
    invoice = CreateInvoice(key="inv", reason="r", params={"customer": Ref("customer", "jenny")})  # no depends_on
    graph = dependency_graph([customer, invoice])
    assert graph == {"CreateCustomer:jenny": set(), "CreateInvoice:inv": {"CreateCustomer:jenny"}}


def test_send_guard_skips_when_marker_is_done() -> None:
    gw = FakeGateway()
    gw.invoices["in_9"] = {"id": "in_9", "status": "open", "created": 1, "metadata": {SEND_KEY: SEND_DONE}}
    result = apply_plan(_plan([SendInvoice(key="inv", reason="r", stripe_id="in_9")]), gw, Live(), options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
    assert result.ok and result.done[0].message == "already sent"
    assert gw.writes() == []


def test_send_guard_requested_with_event_only_completes_the_marker() -> None:
    gw = FakeGateway()
    gw.invoices["in_9"] = {"id": "in_9", "status": "open", "created": 1, "metadata": {SEND_KEY: SEND_REQUESTED}}
    gw.events.append({"type": "invoice.sent", "data": {"object": {"id": "in_9"}}})
    result = apply_plan(_plan([SendInvoice(key="inv", reason="r", stripe_id="in_9")]), gw, Live(), options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
    assert result.ok and result.done[0].message == "already sent; marker completed"
    assert gw.writes() == [("POST", "/v1/invoices/in_9")]
    assert gw.invoices["in_9"]["metadata"] == {SEND_KEY: SEND_DONE}


def test_send_guard_requested_without_event_sends() -> None:
    gw = FakeGateway()
    gw.invoices["in_9"] = {"id": "in_9", "status": "open", "created": 1, "metadata": {SEND_KEY: SEND_REQUESTED}}
    gw.events.append({"type": "invoice.sent", "data": {"object": {"id": "in_other"}}})
    result = apply_plan(_plan([SendInvoice(key="inv", reason="r", stripe_id="in_9")]), gw, Live(), options=_options(), reporter=NullReporter())  # type: ignore[arg-type]
    assert result.ok
    assert ("POST", "/v1/invoices/in_9/send") in gw.writes()
