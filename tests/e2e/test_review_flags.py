"""Destroy limits, --target, --redact and failures machines read, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.sandbox import RunningSandbox

from .test_cli import on, run, writes


def many_customers(specs: Path, n: int) -> None:
    (specs / "more.yaml").write_text(
        "customers:\n" + "".join(f"  c{i:02d}:\n    name: Customer {i}\n" for i in range(n))
    )


WARNING = "this plan destroys 11 objects, more than 10 at once: apply refuses it unless given --allow-destroy 11"


def test_destroy_limit_warns_in_every_format_and_apply_needs_allow_destroy(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path
) -> None:
    many_customers(specs, 11)
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    (specs / "more.yaml").unlink()  # a spec file deleted by mistake, with --prune on

    text = run("plan", str(specs), *on(sandbox), "--prune")
    assert text.output.startswith(f"Warning: {WARNING}\n")
    markdown = run("plan", str(specs), *on(sandbox), "--prune", "--format", "markdown")
    assert f"> [!WARNING]\n> {WARNING}\n" in markdown.output
    plan_file = tmp_path / "plan.json"
    document = json.loads(run("plan", str(specs), *on(sandbox), "--prune", "--format", "json", "--out", str(plan_file)).output)
    assert document["warnings"] == [WARNING]

    before = writes(sandbox)
    refused = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert refused.exit_code == 1
    assert refused.output == (
        "error: refusing to apply: this plan destroys 11 objects, more than 10 at once; nothing was changed: "
        "pass --allow-destroy 11 if that is intended\n"
    )
    short = run("apply", str(specs), *on(sandbox), "--prune", "--yes", "--allow-destroy", "10")
    assert short.exit_code == 1 and "--allow-destroy 10 does not cover them" in short.output
    assert writes(sandbox) == before

    allowed = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes", "--allow-destroy", "11")
    assert allowed.exit_code == 0, allowed.output
    assert "Apply complete: 11 done, 0 failed, 0 skipped." in allowed.output


def test_target_plans_and_applies_only_the_object_and_what_it_needs(sandbox: RunningSandbox, specs: Path) -> None:
    planned = run("plan", str(specs), *on(sandbox), "--target", "invoice/jenny-rosen-2026-11", "--format", "json")
    document = json.loads(planned.output)
    assert document["targets"] == ["invoice/jenny-rosen-2026-11"]
    assert {a["key"] for a in document["actions"]} == {
        "gold-special", "gold-special-usd", "jenny-rosen", "jenny-rosen-2026-11",
    }  # fmt: skip
    applied = run("apply", str(specs), *on(sandbox), "--target", "customer/acme-corp", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 1 done, 0 failed, 0 skipped." in applied.output
    rest = json.loads(run("plan", str(specs), *on(sandbox), "--format", "json").output)
    assert "CreateCustomer:acme-corp" not in {a["id"] for a in rest["actions"]}
    assert "CreateCustomer:jenny-rosen" in {a["id"] for a in rest["actions"]}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("invoice", "error: --target 'invoice': expected KIND/KEY, e.g. invoice/acme-2026-11\n"),
        ("subscription/x", "error: --target 'subscription/x': unknown kind 'subscription' (one of product, price, customer, tax_rate, coupon, invoice, credit_note)\n"),
        ("invoice/nope", "error: --target 'invoice/nope': no invoice 'nope' in the specs or in Stripe\n"),
    ],
)
def test_bad_targets_are_one_error_line(sandbox: RunningSandbox, specs: Path, target: str, message: str) -> None:
    result = run("plan", str(specs), *on(sandbox), "--target", target)
    assert result.exit_code == 1 and result.output == message


def test_saved_plan_applies_with_its_own_targets(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--target", "customer/acme-corp", "--out", str(plan_file)).exit_code == 0
    other = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--target", "customer/jenny-rosen", "--yes")
    assert other.exit_code == 1 and "plan was made with customer/acme-corp" in other.output
    result = run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0 and "Apply complete: 1 done, 0 failed, 0 skipped." in result.output


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_redact_masks_customer_data_but_keeps_keys(sandbox: RunningSandbox, specs: Path, fmt: str) -> None:
    plain = run("plan", str(specs), *on(sandbox), "--format", fmt).output
    assert "jenny.rosen@example.com" in plain and "Jenny Rosen" in plain
    redacted = run("plan", str(specs), *on(sandbox), "--format", fmt, "--redact").output
    for secret in ("Jenny Rosen", "jenny.rosen@example.com", "billing@acme.example.com", "My first customer"):
        assert secret not in redacted
    assert "customer jenny-rosen" in redacted and "(redacted)" in redacted
    via_env = run("plan", str(specs), *on(sandbox), "--format", fmt, env={"RECONCILER_REDACT": "1"}).output
    assert via_env == redacted


def test_redact_masks_the_requests_of_a_dry_run_too(sandbox: RunningSandbox, specs: Path) -> None:
    plain = run("apply", str(specs), *on(sandbox), "--dry-run").output
    assert '"email": "jenny.rosen@example.com"' in plain
    redacted = run("apply", str(specs), *on(sandbox), "--dry-run", "--redact")
    assert redacted.exit_code == 0, redacted.output
    for secret in ("Jenny Rosen", "jenny.rosen@example.com", "billing@acme.example.com", "My first customer"):
        assert secret not in redacted.output
    assert "POST /v1/customers" in redacted.output and '"email": "(redacted)"' in redacted.output


def test_redact_with_json_is_refused(sandbox: RunningSandbox, specs: Path) -> None:
    result = run("plan", str(specs), *on(sandbox), "--format", "json", "--redact")
    assert result.exit_code == 1
    assert "--redact masks text and markdown output; the JSON plan keeps every value" in result.output


def test_plan_opens_with_what_customers_will_notice(sandbox: RunningSandbox, specs: Path) -> None:
    text = run("plan", str(specs), *on(sandbox)).output
    assert text.startswith(
        "Customers will notice:\n"
        "  invoice jenny-rosen-2026-11 emailed — Jenny Rosen <jenny.rosen@example.com>: $10.00 USD, "
        "due 30 days after it is finalized\n\n"
        "Reconciler will perform the following actions:\n"
    )


def test_failed_plan_removes_the_old_plan_file_and_prints_a_json_error(
    sandbox: RunningSandbox, specs: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0
    (specs / "broken.yaml").write_text("customers:\n  bad key:\n    name: x\n")
    result = run("plan", str(specs), *on(sandbox), "--out", str(plan_file), "--format", "json")
    assert result.exit_code == 1
    assert not plan_file.exists()
    document = json.loads(result.stdout)
    error = document["error"]
    assert error["kind"] == "spec" and error["file"] == str(specs / "broken.yaml") and error["line"] == 2
    assert error["message"] == result.stderr.strip()


def test_failed_plan_leaves_a_file_that_is_not_a_plan_alone(sandbox: RunningSandbox, specs: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text('{"keep": true}')
    result = run("plan", str(specs), "--out", str(notes))  # no credentials
    assert result.exit_code == 1 and notes.read_text() == '{"keep": true}'


def test_failed_plan_in_markdown_is_an_error_comment(sandbox: RunningSandbox, specs: Path) -> None:
    (specs / "broken.yaml").write_text("customers:\n  bad key:\n    name: x\n")
    result = run("plan", str(specs), *on(sandbox), "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout.startswith("<!-- reconciler-plan -->\n### Reconciler plan failed\n\n```text\n")


def test_apply_markdown_result_is_alone_on_stdout(sandbox: RunningSandbox, specs: Path) -> None:
    result = run("apply", str(specs), *on(sandbox), "--yes", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout.startswith("### Reconciler apply\n\n**Apply complete: 11 done, 0 failed, 0 skipped.**\n\n")
    assert "| done | send invoice jenny-rosen-2026-11 |  |" in result.stdout
    assert "Reconciler will perform the following actions:" in result.stderr
