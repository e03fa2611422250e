"""The review loop end to end: a plan saved on a pull request, applied on merge.

Real SDK over HTTP against the session sandbox; customers' payments come
from the sandbox's deterministic payment hook.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import stripe

from reconciler.ownership import OWNER_KEY
from reconciler.sandbox import RunningSandbox, start_sandbox

from .test_cli import on, run, writes

GLOBEX = "  globex:\n    name: Globex Ltd\n    email: ap@globex.example.com\n"
INITECH = "  initech:\n    name: Initech\n    email: billing@initech.example.com\n"


def add_customer(specs: Path, block: str) -> None:
    path = specs / "customers.yaml"
    path.write_text(path.read_text() + block)


def invoice_id(client: stripe.StripeClient, key: str) -> str:
    return next(i.id for i in client.v1.invoices.list().data if i.metadata.to_dict().get(OWNER_KEY) == key)


def save_plan(sandbox: RunningSandbox, specs: Path, plan_file: Path, *extra: str) -> None:
    made = run("plan", str(specs), *on(sandbox), "--out", str(plan_file), *extra)
    assert made.exit_code == 0, made.output


def test_unrelated_payment_does_not_make_a_reviewed_plan_stale(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path, stripe_client: stripe.StripeClient
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    add_customer(specs, GLOBEX)
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    # Jenny pays her invoice between review and merge.
    sandbox.pay(invoice_id(stripe_client, "jenny-rosen-2026-11"))

    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 1 done, 0 failed, 0 skipped." in result.output
    assert run("plan", str(specs), *on(sandbox), "--detailed-exitcode").exit_code == 0


def test_metadata_another_integration_writes_on_the_planned_object_does_not_make_it_stale(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path, stripe_client: stripe.StripeClient
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    customers = specs / "customers.yaml"
    customers.write_text(customers.read_text().replace("name: Jenny Rosen", "name: Jenny Rosen-Smith"))
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    jenny = next(c for c in stripe_client.v1.customers.list().data if c.metadata.to_dict().get(OWNER_KEY) == "jenny-rosen")
    stripe_client.v1.customers.update(jenny.id, params={"metadata": {"crm_id": "124"}})  # a CRM sync

    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert stripe_client.v1.customers.retrieve(jenny.id).metadata.to_dict()["crm_id"] == "124"


def test_a_payment_of_the_planned_invoice_refuses_the_plan_naming_it(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path, stripe_client: stripe.StripeClient
) -> None:
    invoices = specs / "invoices.yaml"
    invoices.write_text(invoices.read_text().replace("status: sent", "status: open"))
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    invoices.write_text(invoices.read_text().replace("status: open", "status: sent"))
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    sandbox.pay(invoice_id(stripe_client, "jenny-rosen-2026-11"))
    before = writes(sandbox)

    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == (
        "error: invoice jenny-rosen-2026-11: status open → paid, amount_paid 0 → 1000, "
        "amount_remaining 1000 → 0 since the plan was made"
    )
    assert writes(sandbox) == before


def test_another_merged_pull_request_does_not_block_this_one(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    shutil.copytree(specs, ours)
    shutil.copytree(specs, theirs)
    add_customer(ours, GLOBEX)
    add_customer(theirs, INITECH)
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, ours, plan_file)
    # Their pull request merges and applies first; ours merges on top of it.
    assert run("apply", str(theirs), *on(sandbox), "--yes").exit_code == 0
    add_customer(theirs, GLOBEX)

    result = run("apply", str(theirs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert "done: create customer globex" in result.output


def test_a_merged_change_not_yet_applied_is_named_and_refused(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    plan_file = tmp_path / "plan.json"
    add_customer(specs, GLOBEX)
    save_plan(sandbox, specs, plan_file)
    add_customer(specs, INITECH)  # merged, but its own apply never ran
    before = writes(sandbox)
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert "error: not in the reviewed plan: create customer initech (not in Stripe)" in result.output.splitlines()
    assert writes(sandbox) == before


def test_a_plan_for_another_account_is_refused(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    with start_sandbox(seed=3) as other:
        result = run("apply", str(specs), *on(other), "--plan", str(plan_file), "--yes")
        assert result.exit_code == 1
        assert result.output == (
            f"error: {plan_file}: plan was made for account acct_sandbox (test mode); "
            "this key reaches acct_sandbox_3 (test mode)\n"
        )
        assert other.stats()["writes"] == 0


def test_a_hand_edited_watched_object_is_refused(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    add_customer(specs, GLOBEX)
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    document = json.loads(plan_file.read_text())
    document["objects"]["customer:globex"]["fields"] = {"id": "cus_x"}
    plan_file.write_text(json.dumps(document))
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert result.output == (
        "error: invalid plan file: objects['customer:globex']: fingerprint does not match its fields (edited plan file)\n"
    )


def test_an_entry_taken_out_of_the_watched_objects_is_refused(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path
) -> None:
    # Without the entry a Dashboard edit of that object would go unseen.
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    add_customer(specs, GLOBEX)
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    document = json.loads(plan_file.read_text())
    del document["objects"]["customer:globex"]
    plan_file.write_text(json.dumps(document))
    before = writes(sandbox)
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert (result.exit_code, result.output.splitlines()) == (1, [
        f"error: {plan_file}: its objects are not those its actions watch (edited plan file); "
        "run plan again and review the new plan",
        "error: missing: customer:globex",
    ])  # fmt: skip
    assert writes(sandbox) == before


def test_the_plan_file_keeps_no_personal_data_of_watched_customers(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    invoices = specs / "invoices.yaml"
    invoices.write_text(invoices.read_text().replace("status: draft", "status: open"))
    plan_file = tmp_path / "plan.json"
    save_plan(sandbox, specs, plan_file)
    watched = json.loads(plan_file.read_text())["objects"]["customer:acme-corp"]
    assert watched["fields"]["email"].startswith("sha256:")
    assert "billing@acme.example.com" not in plan_file.read_text()
