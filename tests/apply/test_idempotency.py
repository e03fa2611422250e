from __future__ import annotations

from reconciler.apply.idempotency import MAX_KEY_LENGTH, idempotency_key, params_digest
from reconciler.plan.actions import AddInvoiceItem, CreateCustomer, SendInvoice


def test_key_format_names_class_key_item_and_step() -> None:
    action = AddInvoiceItem(key="jenny-2026-11", reason="r", item_key="setup-fee")
    key = idempotency_key(action, "create", {"invoice": "in_1", "amount": 5000})
    digest = params_digest({"amount": 5000, "invoice": "in_1"})
    assert key == f"reconciler-AddInvoiceItem-jenny-2026-11-setup-fee-create-{digest}"
    assert len(digest) == 16


def test_same_params_same_key_whatever_the_dict_order() -> None:
    action = CreateCustomer(key="jenny-rosen", reason="r")
    a = idempotency_key(action, "create", {"name": "Jenny", "metadata": {"a": "1", "b": "2"}})
    b = idempotency_key(action, "create", {"metadata": {"b": "2", "a": "1"}, "name": "Jenny"})
    assert a == b


def test_different_params_or_target_or_step_give_different_keys() -> None:
    action = SendInvoice(key="inv", reason="r")
    base = idempotency_key(action, "send", {}, "in_1")
    assert idempotency_key(action, "send", {}, "in_2") != base
    assert idempotency_key(action, "mark-done", {}, "in_1") != base
    assert idempotency_key(action, "send", {"x": 1}, "in_1") != base


def test_reason_and_dependencies_do_not_change_the_key() -> None:
    # A re-run after a crash plans the same write for another reason/depends_on.
    first = CreateCustomer(key="c", reason="not in Stripe", depends_on=("x",))
    again = CreateCustomer(key="c", reason="other", depends_on=())
    assert idempotency_key(first, "create", {"name": "n"}) == idempotency_key(again, "create", {"name": "n"})


def test_very_long_item_keys_stay_within_stripes_limit_and_distinct() -> None:
    a = AddInvoiceItem(key="k" * 64, reason="r", item_key="x" * 300)
    b = AddInvoiceItem(key="k" * 64, reason="r", item_key="x" * 299 + "y")
    ka, kb = idempotency_key(a, "create", {}), idempotency_key(b, "create", {})
    assert len(ka) <= MAX_KEY_LENGTH and len(kb) <= MAX_KEY_LENGTH
    assert ka != kb
    assert ka.startswith("reconciler-AddInvoiceItem-")


def test_unsafe_characters_are_replaced() -> None:
    action = AddInvoiceItem(key="inv", reason="r", item_key="Setup fee/é")
    key = idempotency_key(action, "create", {})
    assert key.startswith("reconciler-AddInvoiceItem-inv-Setup_fee__-create-")


def test_updates_are_salted_with_the_plan_fingerprint_lifecycle_steps_are_not() -> None:
    send = SendInvoice(key="inv", reason="r")
    assert idempotency_key(send, "send", {}, "in_1", fingerprint="a") == idempotency_key(send, "send", {}, "in_1", fingerprint="b")
    done_a = idempotency_key(send, "mark-done", {"metadata": {"m": "done"}}, "in_1", fingerprint="a")
    done_b = idempotency_key(send, "mark-done", {"metadata": {"m": "done"}}, "in_1", fingerprint="b")
    assert done_a != done_b
    assert done_a == idempotency_key(send, "mark-done", {"metadata": {"m": "done"}}, "in_1", fingerprint="a")
