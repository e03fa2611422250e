"""The runner against the sandbox (real SDK over HTTP): ordering, ref
resolution, skipping, fail-fast, retries, results, the send guard.

Failures are the sandbox's targeted faults (`fail_routes`): one chosen
request fails, deterministically. Time is a FakeClock: backoffs and
rate-limit waits take none.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
import stripe

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import LineReporter, NullReporter, Reporter
from reconciler.apply.result import ApplyResult
from reconciler.apply.runner import apply_plan, dependency_graph
from reconciler.apply.steps import STEPS
from reconciler.live.records import Live, LiveCustomer
from reconciler.ownership import OWNER_KEY, SEND_DONE, SEND_KEY, SEND_REQUESTED
from reconciler.plan.actions import (
    ALL_ACTIONS,
    Action,
    AddInvoiceItem,
    CreateCustomer,
    CreateInvoice,
    CreateProduct,
    FinalizeInvoice,
    Ref,
    SendInvoice,
)
from reconciler.plan.plan import Plan
from reconciler.sandbox import RunningSandbox

from .helpers import FakeClock, gateway_for, keyed_writes


def _options(**overrides: object) -> ApplyOptions:
    clock = FakeClock()
    base: dict[str, object] = dict(parallelism=1, max_rps=1000.0, sleep=clock.sleep, clock=clock, rng=random.Random(3))
    base.update(overrides)
    return ApplyOptions(**base)  # type: ignore[arg-type]


def _customer(key: str) -> CreateCustomer:
    return CreateCustomer(key=key, reason="r", params={"name": key.title(), "email": f"{key}@example.com"})


def _invoice_chain(key: str, customer: str, *, customer_planned: bool = True, amount: int = 5000) -> list[Action]:
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
        params={"invoice": Ref("invoice", key), "customer": Ref("customer", customer), "amount": amount, "currency": "usd"},
    )
    finalize = FinalizeInvoice(key=key, reason="r", depends_on=(item.id,))
    send = SendInvoice(key=key, reason="r", depends_on=(finalize.id,))
    return [create, item, finalize, send]


def _plan(actions: list[Action]) -> Plan:
    return Plan(tuple(actions), fingerprint="f")


def _apply(
    sandbox: RunningSandbox,
    actions: list[Action],
    live: Live | None = None,
    *,
    options: ApplyOptions | None = None,
    reporter: Reporter | None = None,
) -> ApplyResult:
    return apply_plan(
        _plan(actions), gateway_for(sandbox), live or Live(), options=options or _options(), reporter=reporter or NullReporter()
    )


def _writes(sandbox: RunningSandbox, since: int = 0) -> list[tuple[str, str]]:
    return [(w["method"], w["path"]) for w in keyed_writes(sandbox, since)]


def _invoice_of(client: stripe.StripeClient, key: str) -> stripe.Invoice:
    found = [inv for inv in client.v1.invoices.list({"limit": 100}).data if inv.metadata.to_dict().get(OWNER_KEY) == key]
    assert len(found) == 1, found
    return found[0]


def _sent_ids(client: stripe.StripeClient) -> list[str]:
    return [e.data.object["id"] for e in client.v1.events.list({"type": "invoice.sent", "limit": 100}).data]


def test_every_action_type_has_steps() -> None:
    assert set(STEPS) == set(ALL_ACTIONS)


def test_refs_resolve_to_ids_created_earlier_in_the_run(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    result = _apply(sandbox, [_customer("jenny"), *_invoice_chain("inv", "jenny")])
    assert result.ok, result.lines()
    [customer] = stripe_client.v1.customers.list().data
    invoice = _invoice_of(stripe_client, "inv")
    [item] = stripe_client.v1.invoice_items.list().data
    assert (invoice.customer, item.invoice, item.customer) == (customer.id, invoice.id, customer.id)
    assert _writes(sandbox) == [
        ("POST", "/v1/customers"),
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", f"/v1/invoices/{invoice.id}/finalize"),
        ("POST", f"/v1/invoices/{invoice.id}"),
        ("POST", f"/v1/invoices/{invoice.id}/send"),
        ("POST", f"/v1/invoices/{invoice.id}"),
    ]
    assert invoice.status == "open" and invoice.amount_due == 5000
    assert invoice.metadata.to_dict() == {OWNER_KEY: "inv", SEND_KEY: SEND_DONE}
    assert _sent_ids(stripe_client) == [invoice.id]
    assert result.summary_line() == "Apply complete: 5 done, 0 failed, 0 skipped."


def test_refs_fall_back_to_live_state(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    existing = stripe_client.v1.customers.create({"name": "Jenny", "email": "jenny@example.com"})
    live = Live(customers={"jenny": LiveCustomer(id=existing.id, key="jenny")})
    result = _apply(sandbox, _invoice_chain("inv", "jenny", customer_planned=False), live)
    assert result.ok, result.lines()
    invoice = _invoice_of(stripe_client, "inv")
    assert invoice.customer == existing.id
    assert [c.id for c in stripe_client.v1.customers.list().data] == [existing.id]  # none created


def test_every_post_carries_a_deterministic_key_and_reruns_reuse_it(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    actions = [_customer("jenny"), *_invoice_chain("inv", "jenny")]
    assert _apply(sandbox, actions).ok
    first = keyed_writes(sandbox)
    keys = [w["key"] for w in first]
    assert len(keys) == 7 and all(k.startswith("reconciler-") for k in keys)
    assert len(set(keys)) == len(keys)  # mark-requested, send, mark-done all distinct
    assert not any(w["replayed"] for w in first)

    # The same run again on the same account: every write it repeats carries
    # the key it carried the first time, and Stripe answers each as a replay.
    # The send guard sees the "done" marker: no send, no marker write.
    assert _apply(sandbox, actions).ok
    again = keyed_writes(sandbox, since=len(first))
    assert [(w["path"], w["key"]) for w in again] == [(w["path"], w["key"]) for w in first[:4]]
    assert all(w["replayed"] for w in again)
    assert len(stripe_client.v1.customers.list().data) == 1
    assert len(_sent_ids(stripe_client)) == 1

    # On an emptied account (same seeded ids), a fresh run sends the very same keys.
    sandbox.reset()
    assert _apply(sandbox, actions).ok
    assert [w["key"] for w in keyed_writes(sandbox)] == keys


def test_the_ready_action_with_the_longest_chain_ahead_starts_first(sandbox: RunningSandbox) -> None:
    # The product comes first in the plan but ends no chain: it waits until
    # the invoice's chain (customer, invoice, item, finalize, send) is through.
    actions = [CreateProduct(key="gold", reason="r", params={"name": "Gold"}), _customer("jenny"),
               *_invoice_chain("inv", "jenny")]  # fmt: skip
    out = io.StringIO()
    assert _apply(sandbox, actions, reporter=LineReporter(out)).ok
    assert out.getvalue().splitlines() == [
        "[1/6] done: create customer jenny",
        "[2/6] done: create invoice inv",
        "[3/6] done: add item inv/fee",
        "[4/6] done: finalize invoice inv",
        "[5/6] done: send invoice inv",
        "[6/6] done: create product gold",
    ]


def test_failure_skips_dependents_transitively_and_independent_work_continues(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    # Only inv1's item (amount 5000) fails; inv2's chain and the product are independent.
    sandbox.set_faults(fail_routes=[{
        "method": "POST", "path_prefix": "/v1/invoiceitems", "params": {"amount": "5000"},
        "status": 400, "code": "parameter_invalid", "message": "No such price: 'price_x'",
    }])  # fmt: skip
    actions = [
        _customer("jenny"),
        *_invoice_chain("inv1", "jenny"),
        *_invoice_chain("inv2", "jenny", amount=7000),
        CreateProduct(key="gold", reason="r", params={"name": "Gold"}),
    ]
    out = io.StringIO()
    result = _apply(sandbox, actions, reporter=LineReporter(out))
    assert [o.id for o in result.done] == [
        "CreateCustomer:jenny",
        "CreateInvoice:inv1",
        "CreateInvoice:inv2",
        "AddInvoiceItem:inv2:fee",
        "FinalizeInvoice:inv2",
        "SendInvoice:inv2",
        "CreateProduct:gold",
    ]
    assert [(o.id, o.message) for o in result.failed] == [
        ("AddInvoiceItem:inv1:fee", "Stripe rejected the request (400, parameter_invalid): No such price: 'price_x'")
    ]
    assert [(o.id, o.message) for o in result.skipped] == [
        ("FinalizeInvoice:inv1", "depends on add item inv1/fee, which failed"),
        ("SendInvoice:inv1", "depends on add item inv1/fee, which failed"),
    ]
    assert not result.ok
    assert result.summary_line() == "Apply complete: 7 done, 1 failed, 2 skipped."
    lines = out.getvalue().splitlines()
    assert "[4/10] FAILED: add item inv1/fee: Stripe rejected the request (400, parameter_invalid): No such price: 'price_x'" in lines
    assert lines[-1] == "[10/10] done: create product gold"
    # What the account holds: inv1 an empty draft, inv2 sent, the product made.
    inv1, inv2 = _invoice_of(stripe_client, "inv1"), _invoice_of(stripe_client, "inv2")
    assert (inv1.status, inv1.lines.data) == ("draft", [])
    assert (inv2.status, inv2.amount_due, inv2.metadata[SEND_KEY]) == ("open", 7000, SEND_DONE)
    assert _sent_ids(stripe_client) == [inv2.id]
    assert [p.name for p in stripe_client.v1.products.list().data] == ["Gold"]


def test_fail_fast_stops_scheduling_new_work(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/customers", "status": 400, "message": "bad email"}])
    product = CreateProduct(key="gold", reason="r", params={"name": "Gold"})
    result = _apply(sandbox, [_customer("jenny"), product], options=_options(fail_fast=True))
    assert [o.id for o in result.failed] == ["CreateCustomer:jenny"]
    assert [(o.id, o.message) for o in result.skipped] == [
        ("CreateProduct:gold", "not started: stopped after the first failure (--fail-fast)")
    ]
    assert [(w["method"], w["path"], w["status"]) for w in keyed_writes(sandbox)] == [("POST", "/v1/customers", 400)]
    assert stripe_client.v1.products.list().data == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, "rate limited by Stripe (429): too many requests"),
        (500, "Stripe server error (500): An error occurred (injected by a sandbox fail rule)."),
    ],
)
def test_transient_errors_are_retried_and_reported(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, status: int, error: str
) -> None:
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/products", "status": status, "times": 2}])
    out = io.StringIO()
    clock = FakeClock()
    options = _options(sleep=clock.sleep, clock=clock)
    product = CreateProduct(key="gold", reason="r", params={"name": "Gold"})
    result = _apply(sandbox, [product], options=options, reporter=LineReporter(out))
    assert result.ok and result.retries == 2 and result.requests == 3
    writes = keyed_writes(sandbox)
    assert [w["status"] for w in writes] == [status, status, 200]
    assert len({w["key"] for w in writes}) == 1  # every retry carries the same idempotency key
    assert f"retry: create product gold: attempt 1 failed ({error})" in out.getvalue()
    assert clock.sleeps and clock.now > 0  # the backoff waited on the injected clock, not the real one
    assert [p.name for p in stripe_client.v1.products.list().data] == ["Gold"]


def test_result_json_lists_each_outcome(sandbox: RunningSandbox) -> None:
    sandbox.set_faults(fail_routes=[{
        "method": "POST", "path_prefix": "/v1/customers", "status": 400, "code": "parameter_invalid",
        "message": "bad email",
    }])  # fmt: skip
    result = _apply(sandbox, [_customer("jenny"), *_invoice_chain("inv", "jenny")])
    data: dict[str, Any] = json.loads(json.dumps(result.to_json()))
    assert data["ok"] is False
    assert data["summary"] == {"done": 0, "failed": 1, "skipped": 4}
    assert data["failed"][0] == {
        "id": "CreateCustomer:jenny",
        "description": "create customer jenny",
        "message": "Stripe rejected the request (400, parameter_invalid): bad email",
    }
    assert [s["id"] for s in data["skipped"]] == [
        "CreateInvoice:inv", "AddInvoiceItem:inv:fee", "FinalizeInvoice:inv", "SendInvoice:inv",
    ]  # fmt: skip


def test_parallel_run_respects_dependencies(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    actions: list[Action] = []
    for i in range(6):
        actions.append(_customer(f"c{i}"))
        actions.extend(_invoice_chain(f"inv{i}", f"c{i}", amount=1000 + i))
    result = _apply(sandbox, actions, options=_options(parallelism=4))
    assert result.ok, result.lines()
    assert len(result.done) == 30
    order = _writes(sandbox)
    for i in range(6):
        invoice = _invoice_of(stripe_client, f"inv{i}")
        # The item reached the invoice before finalize (else the total would
        # be 0, or the item refused on a finalized invoice)…
        assert (invoice.status, invoice.amount_due, invoice.metadata[SEND_KEY]) == ("open", 1000 + i, SEND_DONE)
        assert [line.amount for line in invoice.lines.data] == [1000 + i]
        # …and the lifecycle went finalize, mark requested, send, mark done.
        assert [p for _, p in order if p.startswith(f"/v1/invoices/{invoice.id}")] == [
            f"/v1/invoices/{invoice.id}/finalize",
            f"/v1/invoices/{invoice.id}",
            f"/v1/invoices/{invoice.id}/send",
            f"/v1/invoices/{invoice.id}",
        ]
    assert len(_sent_ids(stripe_client)) == 6


def test_implicit_dependency_from_a_ref_to_a_created_object() -> None:
    customer = CreateCustomer(key="jenny", reason="r", params={})
    invoice = CreateInvoice(key="inv", reason="r", params={"customer": Ref("customer", "jenny")})  # no depends_on
    graph = dependency_graph([customer, invoice])
    assert graph == {"CreateCustomer:jenny": set(), "CreateInvoice:inv": {"CreateCustomer:jenny"}}


# -- the send guard, with markers set through the SDK ---------------------------


def _open_invoice(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create({"name": "Jenny", "email": "jenny@example.com"})
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 5000, "currency": "usd"})
    return client.v1.invoices.finalize_invoice(invoice.id, {"auto_advance": False}).id


def _mark(client: stripe.StripeClient, invoice_id: str, marker: str) -> None:
    client.v1.invoices.update(invoice_id, {"metadata": {SEND_KEY: marker}})


def _send_only(invoice_id: str) -> list[Action]:
    return [SendInvoice(key="inv", reason="r", stripe_id=invoice_id)]


def test_send_guard_skips_when_marker_is_done(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    invoice_id = _open_invoice(stripe_client)
    _mark(stripe_client, invoice_id, SEND_DONE)
    writes_before = sandbox.stats()["writes"]
    result = _apply(sandbox, _send_only(invoice_id))
    assert result.ok and result.done[0].message == "already sent"
    assert sandbox.stats()["writes"] == writes_before
    assert _sent_ids(stripe_client) == []


def test_send_guard_requested_with_event_only_completes_the_marker(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    # A crash after the send, before the marker became "done".
    invoice_id = _open_invoice(stripe_client)
    _mark(stripe_client, invoice_id, SEND_REQUESTED)
    stripe_client.v1.invoices.send_invoice(invoice_id)
    since = len(keyed_writes(sandbox))
    writes_before = sandbox.stats()["writes"]
    result = _apply(sandbox, _send_only(invoice_id))
    assert result.ok and result.done[0].message == "already sent; marker completed"
    assert _writes(sandbox, since) == [("POST", f"/v1/invoices/{invoice_id}")]
    assert sandbox.stats()["writes"] == writes_before + 1
    assert stripe_client.v1.invoices.retrieve(invoice_id).metadata.to_dict() == {SEND_KEY: SEND_DONE}
    assert _sent_ids(stripe_client) == [invoice_id]


def test_send_guard_requested_without_event_sends(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    # A crash after marking "requested", before the send; another invoice's
    # invoice.sent event must not count for this one.
    other_id = _open_invoice(stripe_client)
    stripe_client.v1.invoices.send_invoice(other_id)
    invoice_id = _open_invoice(stripe_client)
    _mark(stripe_client, invoice_id, SEND_REQUESTED)
    since = len(keyed_writes(sandbox))
    result = _apply(sandbox, _send_only(invoice_id))
    assert result.ok and result.done[0].message == ""
    assert _writes(sandbox, since) == [
        ("POST", f"/v1/invoices/{invoice_id}"),
        ("POST", f"/v1/invoices/{invoice_id}/send"),
        ("POST", f"/v1/invoices/{invoice_id}"),
    ]
    assert sorted(_sent_ids(stripe_client)) == sorted([invoice_id, other_id])
    assert stripe_client.v1.invoices.retrieve(invoice_id).metadata.to_dict() == {SEND_KEY: SEND_DONE}


def test_the_cli_ceiling_of_parallelism_is_the_appliers() -> None:
    # The CLI imports it from apply.options, which loads no SDK.
    from reconciler import cli
    from reconciler.apply.options import MAX_PARALLELISM

    assert cli.MAX_PARALLELISM == MAX_PARALLELISM == ApplyOptions().parallelism
