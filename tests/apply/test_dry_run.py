from __future__ import annotations

from reconciler.apply.dry_run import planned_requests, render_requests
from reconciler.apply.idempotency import idempotency_key
from reconciler.live.records import Live, LiveInvoice
from reconciler.ownership import OWNER_KEY, SEND_KEY
from reconciler.plan.actions import CreateCustomer, CreateInvoice, FinalizeInvoice, Ref, SendInvoice, VoidInvoice
from reconciler.plan.plan import Plan


def test_unresolved_refs_show_as_placeholders_and_known_ids_as_ids() -> None:
    customer = CreateCustomer(key="jenny-rosen", reason="r", params={"name": "Jenny Rosen", "metadata": {OWNER_KEY: "jenny-rosen"}})
    invoice = CreateInvoice(
        key="inv-1",
        reason="r",
        depends_on=(customer.id,),
        params={"customer": Ref("customer", "jenny-rosen"), "metadata": {OWNER_KEY: "inv-1"}},
    )
    finalize = FinalizeInvoice(key="inv-1", reason="r", depends_on=(invoice.id,))
    live_invoice = LiveInvoice(
        id="in_old", key="old", customer_id="cus_x", status="open", collection_method="send_invoice", days_until_due=30, currency="usd"
    )
    void = VoidInvoice(key="old", reason="r", stripe_id="in_old")
    plan = Plan((customer, invoice, finalize, void), fingerprint="f")
    requests = planned_requests(plan, Live(invoices={"old": live_invoice}))

    assert [(r.method, r.path) for r in requests] == [
        ("POST", "/v1/customers"),
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoices/<id of invoice:inv-1>/finalize"),
        ("POST", "/v1/invoices/in_old/void"),
    ]
    assert requests[1].params["customer"] == "<id of customer:jenny-rosen>"
    assert requests[0].idempotency_key == idempotency_key(customer, "create", requests[0].params)
    assert requests[1].idempotency_key == "reconciler-CreateInvoice-inv-1-create-<digest at apply time>"
    assert requests[3].idempotency_key == idempotency_key(void, "void", {}, "in_old", fingerprint="f")

    text = render_requests(requests)
    lines = text.splitlines()
    assert lines[0] == (
        'POST /v1/customers {"metadata": {"reconciler_id": "jenny-rosen"}, "name": "Jenny Rosen"}'
        f"  Idempotency-Key: {requests[0].idempotency_key}"
    )
    assert lines[-1] == "Dry run: 4 writes planned, none sent."


def test_send_shows_the_guard_reads_and_its_three_writes() -> None:
    plan = Plan((SendInvoice(key="inv", reason="r", stripe_id="in_1"),), fingerprint="f")
    requests = planned_requests(plan, Live())
    assert [(r.method, r.path, r.params) for r in requests] == [
        ("GET", "/v1/invoices/in_1", {}),
        ("GET", "/v1/events", {"type": "invoice.sent"}),
        ("POST", "/v1/invoices/in_1", {"metadata": {SEND_KEY: "requested"}}),
        ("GET", "/v1/events", {"type": "invoice.sent"}),
        ("POST", "/v1/invoices/in_1/send", {}),
        ("POST", "/v1/invoices/in_1", {"metadata": {SEND_KEY: "done"}}),
    ]
    assert render_requests(requests).splitlines()[0] == "GET /v1/invoices/in_1  # send guard: check marker"
