"""The CLI end to end: real SDK over HTTP against the session sandbox.

Each test drives `reconciler plan|apply` as a user would and asserts exit
codes, output lines and the sandbox's own record of writes.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
import stripe
from cli_runner import invoke
from click.testing import Result

from reconciler.ownership import OWNER_KEY
from reconciler.runtime import Runtime
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"
# Retries and rate limit as the CLI does them, without waiting out backoffs and pacing.
NO_WAIT = Runtime(sleep=lambda seconds: None)


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return invoke(args, env=env, obj=NO_WAIT)


def on(sandbox: RunningSandbox) -> list[str]:
    return ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]


def managed_customer(client: stripe.StripeClient, key: str) -> stripe.Customer:
    return next(c for c in client.v1.customers.list().data if c.metadata.to_dict().get(OWNER_KEY) == key)


def writes(sandbox: RunningSandbox) -> int:
    return int(sandbox.stats()["writes"])


def test_empty_account_plan_apply_plan_converges(sandbox: RunningSandbox, specs: Path) -> None:
    first = run("plan", str(specs), *on(sandbox), "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "Plan: 9 to create, 0 to update, 2 lifecycle steps, 0 to destroy." in first.output

    applied = run("apply", str(specs), *on(sandbox), "--yes")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 11 done, 0 failed, 0 skipped." in applied.output

    again = run("plan", str(specs), *on(sandbox), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes. Live state matches the specs." in again.output


def test_apply_twice_writes_nothing_the_second_time(sandbox: RunningSandbox, specs: Path) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    before = writes(sandbox)
    second = run("apply", str(specs), *on(sandbox), "--yes")
    assert second.exit_code == 0, second.output
    assert writes(sandbox) == before


def test_dry_run_lists_requests_and_sends_no_write(sandbox: RunningSandbox, specs: Path) -> None:
    result = run("apply", str(specs), *on(sandbox), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "POST /v1/products" in result.output
    assert "POST /v1/invoices/<id of invoice:jenny-rosen-2026-11>/send" in result.output
    assert "reconciler-" in result.output  # idempotency keys are shown
    assert writes(sandbox) == 0


def test_dry_run_json_says_it_is_one_and_lists_the_requests(sandbox: RunningSandbox, specs: Path) -> None:
    result = run("apply", str(specs), *on(sandbox), "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["dry_run"] is True and document["done"] == [] and document["requests"] == 0
    sends = [r for r in document["planned_requests"] if r["path"].endswith("/send")]
    assert [r["path"] for r in sends] == ["/v1/invoices/<id of invoice:jenny-rosen-2026-11>/send"]
    assert len(document["planned_requests"]) > 10 and writes(sandbox) == 0
    assert "dry_run" not in json.loads(run("apply", str(specs), *on(sandbox), "--yes", "--format", "json").stdout)


def test_apply_without_yes_and_without_tty_refuses(sandbox: RunningSandbox, specs: Path) -> None:
    result = run("apply", str(specs), *on(sandbox))
    assert result.exit_code == 1
    assert "refusing to apply without --yes: no terminal to confirm on" in result.output
    assert writes(sandbox) == 0


def test_saved_plan_applies_when_fresh(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0
    saved = json.loads(plan_file.read_text())
    assert saved["format_version"] == 2 and saved["api_version"] == "2026-10-28.endive"
    assert saved["account"] == {"id": "acct_sandbox", "livemode": False}
    assert SANDBOX_API_KEY not in plan_file.read_text()

    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert run("plan", str(specs), *on(sandbox), "--detailed-exitcode").exit_code == 0


def test_stale_saved_plan_is_refused_without_writes(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path, stripe_client: stripe.StripeClient
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    (specs / "customers.yaml").write_text(
        (specs / "customers.yaml").read_text().replace("My first customer", "Our first customer")
    )
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0
    # Someone edits a managed customer in the Dashboard after the plan was reviewed.
    jenny = managed_customer(stripe_client, "jenny-rosen")
    stripe_client.v1.customers.update(jenny.id, params={"email": "jenny@elsewhere.example.com"})
    before = writes(sandbox)

    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert result.output == (
        "error: stale plan: 1 object it acts on changed since the plan was made; run plan again and review the new plan\n"
        "error: customer jenny-rosen: email changed since the plan was made\n"
    )
    assert writes(sandbox) == before


def test_saved_plan_the_specs_no_longer_give_is_refused(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0
    (specs / "invoices.yaml").unlink()
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        f"error: {plan_file}: its actions differ from what these specs and live state give "
        "(the specs changed since the plan was made); run plan again and review the new plan"
    )
    assert "error: reviewed but no longer planned: send invoice jenny-rosen-2026-11 (email the invoice to the customer, once (spec status: sent))" in lines
    assert writes(sandbox) == 0


def test_saved_plan_refused_by_a_change_in_stripe_says_so(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path, stripe_client: stripe.StripeClient
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0  # no changes: watches nothing
    jenny = managed_customer(stripe_client, "jenny-rosen")
    stripe_client.v1.customers.update(jenny.id, params={"email": "jenny@elsewhere.example.com"})  # the Dashboard
    before = writes(sandbox)
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {plan_file}: its actions differ from what these specs and live state give (Stripe changed since "
        "the plan was made (someone or something else wrote to it)); run plan again and review the new plan",
        "error: not in the reviewed plan: update customer jenny-rosen (Stripe differs from the spec: email)",
    ]
    assert writes(sandbox) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a plan file (invalid JSON at line 1)"),
        ('{"format_version": 99}', "invalid plan file"),
        ("[]", "invalid plan file"),
        ('{"format_version": ' + "9" * 5000 + "}", "not a plan file (a number of more than 4,300 digits)"),
        ("[" * 5000 + "]" * 5000, "not a plan file (nested too deep)"),
    ],
    ids=["not-json", "version", "array", "long-number", "deep"],
)
def test_malformed_plan_file_is_one_error_line(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path, content: str, message: str
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(content)
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sandbox.stats()["total"] == 0  # refused before any request


def test_drifted_customer_is_planned_back_to_the_spec(
    sandbox: RunningSandbox, specs: Path, stripe_client: stripe.StripeClient
) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    jenny = managed_customer(stripe_client, "jenny-rosen")
    stripe_client.v1.customers.update(jenny.id, params={"email": "jenny@elsewhere.example.com"})

    drift = run("plan", str(specs), *on(sandbox), "--detailed-exitcode")
    assert drift.exit_code == 2
    assert '"jenny@elsewhere.example.com" → "jenny.rosen@example.com"' in drift.output
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    assert stripe_client.v1.customers.retrieve(jenny.id).email == "jenny.rosen@example.com"


def test_unmanaged_look_alikes_are_left_alone(
    sandbox: RunningSandbox, specs: Path, stripe_client: stripe.StripeClient
) -> None:
    stranger = stripe_client.v1.customers.create(
        params={"name": "Jenny Rosen", "email": "jenny.rosen@example.com", "metadata": {"team": "sales"}}
    )
    stripe_client.v1.products.create(params={"name": "Gold Special"})
    assert run("apply", str(specs), *on(sandbox), "--yes", "--prune").exit_code == 0
    assert run("plan", str(specs), *on(sandbox), "--prune", "--detailed-exitcode").exit_code == 0
    kept = stripe_client.v1.customers.retrieve(stranger.id)
    assert kept.email == "jenny.rosen@example.com" and kept.metadata.to_dict() == {"team": "sales"}
    assert len(stripe_client.v1.customers.list().data) == 3  # the stranger and our two


def test_frozen_invoice_change_is_an_error_naming_the_way_out(sandbox: RunningSandbox, specs: Path) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    invoices = specs / "invoices.yaml"
    invoices.write_text(invoices.read_text().replace("      - price: gold-special-usd\n\n", "      - price: gold-special-usd\n        quantity: 3\n\n", 1))
    before = writes(sandbox)
    result = run("apply", str(specs), *on(sandbox), "--yes")
    assert result.exit_code == 1
    assert "jenny-rosen-2026-11" in result.output
    assert "void it" in result.output
    assert writes(sandbox) == before


def test_prune_destroys_managed_objects_missing_from_specs(sandbox: RunningSandbox, specs: Path) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    (specs / "invoices.yaml").write_text(
        "invoices:\n  jenny-rosen-2026-11:\n    customer: jenny-rosen\n    collection_method: send_invoice\n"
        "    days_until_due: 30\n    status: sent\n    items:\n      - price: gold-special-usd\n"
    )
    (specs / "customers.yaml").write_text(
        "customers:\n  jenny-rosen:\n    name: Jenny Rosen\n    email: jenny.rosen@example.com\n"
        "    description: My first customer\n"
    )
    without_prune = run("plan", str(specs), *on(sandbox), "--detailed-exitcode")
    assert without_prune.exit_code == 0, without_prune.output
    pruned = run("plan", str(specs), *on(sandbox), "--prune")
    assert "0 to create, 0 to update, 0 lifecycle steps, 2 to destroy." in pruned.output
    assert run("apply", str(specs), *on(sandbox), "--prune", "--yes").exit_code == 0
    assert run("plan", str(specs), *on(sandbox), "--prune", "--detailed-exitcode").exit_code == 0


def test_a_targeted_prune_of_a_customer_includes_its_open_invoice_and_says_so(
    sandbox: RunningSandbox, specs: Path, stripe_client: stripe.StripeClient
) -> None:
    invoices = specs / "invoices.yaml"
    invoices.write_text(invoices.read_text().replace("status: draft", "status: open"))
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    acme = managed_customer(stripe_client, "acme-corp")
    (open_invoice,) = stripe_client.v1.invoices.list(params={"customer": acme.id}).data
    assert open_invoice.status == "open"
    # acme-corp leaves the specs with its invoice (a spec naming a missing customer would not validate).
    invoices.write_text(invoices.read_text().split("  # A draft with a one-off amount")[0])
    customers = specs / "customers.yaml"
    customers.write_text(customers.read_text().split("  acme-corp:")[0])

    planned = run("plan", str(specs), *on(sandbox), "--prune", "--target", "customer/acme-corp")
    assert planned.exit_code == 0, planned.output
    assert "  invoice acme-corp-onboarding voided — Acme Corp <billing@acme.example.com>" in planned.output
    assert f"- void invoice {open_invoice.id}" in planned.output
    assert f"- delete customer {acme.id}" in planned.output
    assert "0 to create, 0 to update, 0 lifecycle steps, 2 to destroy." in planned.output

    assert run("apply", str(specs), *on(sandbox), "--prune", "--target", "customer/acme-corp", "--yes").exit_code == 0
    assert stripe_client.v1.invoices.retrieve(open_invoice.id).status == "void"
    assert run("plan", str(specs), *on(sandbox), "--prune", "--detailed-exitcode").exit_code == 0


def test_markdown_and_json_formats(sandbox: RunningSandbox, specs: Path) -> None:
    markdown = run("plan", str(specs), *on(sandbox), "--format", "markdown")
    assert markdown.exit_code == 0
    assert markdown.output.startswith("<!-- reconciler-plan -->")
    as_json = run("plan", str(specs), *on(sandbox), "--format", "json")
    assert json.loads(as_json.output)["summary"] == {"create": 9, "update": 0, "lifecycle": 2, "destroy": 0}


def test_no_credentials_is_one_clear_error(specs: Path) -> None:
    result = run("plan", str(specs))
    assert result.exit_code == 1
    assert result.output == "error: no Stripe credentials: pass --api-key, set STRIPE_API_KEY, or use --sandbox\n"


def test_rejected_key_is_one_line_without_the_key(sandbox: RunningSandbox, specs: Path) -> None:
    secret = "sk_live_" + "y" * 24  # the sandbox, like test mode, rejects live keys
    rejected = run("plan", str(specs), "--api-key", secret, "--api-base", sandbox.url)
    assert rejected.exit_code == 1, rejected.output
    assert rejected.output == "error: authentication failed: the API key was rejected (401)\n"
    assert "y" * 24 not in rejected.output


def test_network_failure_is_one_line(specs: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run("plan", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", f"http://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert result.output == (
        f"error: network failure talking to 127.0.0.1:{port}: connection refused (gave up after 6 attempts)\n"
    )


def test_live_key_needs_live_flag_to_apply(specs: Path) -> None:
    result = run("apply", str(specs), "--api-key", "sk_live_" + "z" * 24, "--yes")
    assert result.exit_code == 1
    assert result.output == "error: refusing to apply with a live key without --live\n"


def test_invalid_spec_stops_before_any_request(sandbox: RunningSandbox, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("products:\n  gold:\n    nmae: Gold\n")
    result = run("apply", str(bad), *on(sandbox), "--yes")
    assert result.exit_code == 1
    assert f"{bad}:3:5: product 'gold': unknown field 'nmae' (did you mean 'name'?)" in result.output
    assert sandbox.stats()["total"] == 0


def test_apply_json_result_is_alone_on_stdout(sandbox: RunningSandbox, specs: Path) -> None:
    result = run("apply", str(specs), *on(sandbox), "--yes", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert len(document["done"]) == 11 and document["failed"] == [] and document["skipped"] == []
    assert "Plan: 9 to create" in result.stderr


def test_unwritable_plan_file_is_one_error_line(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "plan.json"
    result = run("plan", str(specs), *on(sandbox), "--out", str(target))
    assert result.exit_code == 1
    assert result.output == f"error: cannot write plan file {target}: No such file or directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--frob"], "error: No such option '--frob'. (see 'reconciler plan --help')\n"),
        (["plan", "--format", "yaml"], "error: Invalid value for '--format': 'yaml' is not one of 'text', 'markdown', 'json'. (see 'reconciler plan --help')\n"),
        (["apply", "--parallelism", "0"], "error: Invalid value for '--parallelism': 0 is not in the range 1<=x<=96. (see 'reconciler apply --help')\n"),
        (["apply", "--parallelism", "abc"], "error: Invalid value for '--parallelism': 'abc' is not a valid integer. (see 'reconciler apply --help')\n"),
        (["frobnicate"], "error: No such command 'frobnicate'. (see 'reconciler --help')\n"),
    ],
)
def test_bad_flags_are_one_error_line_and_exit_1(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert result.output == message


def test_edited_saved_plan_is_refused_without_writes(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0
    document = json.loads(plan_file.read_text())
    create_jenny = next(a for a in document["actions"] if a["id"] == "CreateCustomer:jenny-rosen")
    create_jenny["params"]["email"] = "attacker@example.com"
    plan_file.write_text(json.dumps(document))
    before = sandbox.stats()["total"]

    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert result.output == (
        f"error: {plan_file}: its actions differ from what these specs and live state give (edited plan file: "
        "the specs and Stripe are as they were when it was made); run plan again and review the new plan\n"
        "error: differs from the reviewed plan: create customer jenny-rosen (not in Stripe)\n"
    )
    assert writes(sandbox) == 0 and sandbox.stats()["total"] > before  # read, never wrote


def test_saved_plan_keeps_its_prune_setting(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    (specs / "customers.yaml").write_text(
        "customers:\n  jenny-rosen:\n    name: Jenny Rosen\n    email: jenny.rosen@example.com\n"
        "    description: My first customer\n"
    )
    (specs / "invoices.yaml").write_text(
        "invoices:\n  jenny-rosen-2026-11:\n    customer: jenny-rosen\n    collection_method: send_invoice\n"
        "    days_until_due: 30\n    status: sent\n    items:\n      - price: gold-special-usd\n"
    )
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--prune", "--out", str(plan_file)).exit_code == 0
    assert json.loads(plan_file.read_text())["prune"] is True
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 2 done, 0 failed, 0 skipped." in result.output


def test_partly_built_account_plans_only_the_rest(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    catalog_only = tmp_path / "catalog-only"
    catalog_only.mkdir()
    shutil.copy(specs / "catalog.yaml", catalog_only / "catalog.yaml")
    assert run("apply", str(catalog_only), *on(sandbox), "--yes").exit_code == 0

    rest = run("plan", str(specs), *on(sandbox), "--format", "json")
    document = json.loads(rest.output)
    assert document["summary"] == {"create": 7, "update": 0, "lifecycle": 2, "destroy": 0}
    assert not any(a["type"] in ("CreateProduct", "CreatePrice") for a in document["actions"])
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    assert run("plan", str(specs), *on(sandbox), "--detailed-exitcode").exit_code == 0


def test_sandbox_flag_does_not_swallow_a_spec_path(specs: Path) -> None:
    result = run("plan", "--sandbox", str(specs))
    assert result.exit_code == 1
    assert result.output == (
        f"error: --sandbox takes an optional database FILE and {str(specs)!r} looks like a spec path: "
        f"put paths first ('reconciler plan {specs} --sandbox') or write --sandbox=FILE (see 'reconciler plan --help')\n"
    )


def test_errors_with_colons_keep_their_prefix(specs: Path) -> None:
    result = run("plan", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", "http://a:b:c")
    assert result.exit_code == 1
    assert result.output == "error: --api-base 'http://a:b:c' is not a valid URL\n"


def test_a_retried_write_is_a_retry_line_in_a_log_then_done(sandbox: RunningSandbox, specs: Path) -> None:
    # Not a terminal (CliRunner, as in CI logs): the applier's workers print the
    # retry line from their own threads, where click has no context.
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/products", "status": 503, "times": 1}])
    applied = run("apply", str(specs), *on(sandbox), "--yes")
    assert applied.exit_code == 0, applied.output
    (retry,) = [line for line in applied.output.splitlines() if line.startswith("retry: ")]
    assert retry.startswith("retry: create product ") and "attempt 1 failed (" in retry, retry
    assert "Apply complete: 11 done, 0 failed, 0 skipped." in applied.output
