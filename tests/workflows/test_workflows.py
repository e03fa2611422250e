"""The GitHub workflows' steps, run in order against the sandbox with the GitHub
variables they read: a typo in a step, a wrong gh call or a bad flag fails here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cli_runner import invoke

from reconciler.connection import open_gateway
from reconciler.gateway.read import read_live
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from .runner import CHECKOUT, SETUP_PYTHON, UPLOAD_ARTIFACT, JobRun, Runner, uses_of

pytestmark = pytest.mark.slow  # each test runs a workflow's jobs as processes

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/billing"
FORK = "mallory/billing"
MARKER = "<!-- reconciler-plan -->"
GLOBEX = "  globex:\n    name: Globex Ltd\n    email: ap@globex.example.com\n"


def tree(tmp: Path, name: str, extra_customers: str = "", broken: bool = False) -> Path:
    """A copy of this repository as a commit would hold it (specs edited as asked)."""
    target = tmp / name
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__",
                                                                 ".reconciler", "*.egg-info"))  # fmt: skip
    customers = target / "specs" / "customers.yaml"
    customers.write_text(customers.read_text() + extra_customers)
    if broken:
        (target / "specs" / "broken.yaml").write_text("customers:\n  Bad Key:\n    name: x\n")
    return target


@pytest.fixture
def runner(tmp_path: Path, sandbox: RunningSandbox) -> Runner:
    base = tree(tmp_path, "base")
    pr = tree(tmp_path, "pr", GLOBEX)
    # plan.yml checks out the base commit (the tool) and the pull request's specs.
    return Runner(tmp_path, {"b0": base, "": pr}, REPO, {"STRIPE_API_BASE": sandbox.url})


def pr_event(number: int, head_sha: str, head_repo: str = REPO) -> dict[str, Any]:
    return {"pull_request": {"number": number, "base": {"sha": "b0"},
                             "head": {"sha": head_sha, "repo": {"full_name": head_repo}}}}  # fmt: skip


def run_plan(runner: Runner, run_id: int, head_sha: str, *, head_repo: str = REPO) -> JobRun:
    """plan.yml for pull request #7, then filed as a finished run the way GitHub lists it."""
    secrets = {"STRIPE_PLAN_API_KEY": SANDBOX_API_KEY} if head_repo == REPO else {}
    job = runner.run_job("plan.yml", "plan", event_name="pull_request", event=pr_event(7, head_sha, head_repo),
                         run_id=run_id, sha=f"merge-{head_sha}", secrets=secrets)  # fmt: skip

    def file_run(state: dict[str, Any]) -> None:
        state["pulls"]["7"] = {"number": 7, "head": {"sha": head_sha, "repo": {"full_name": head_repo}},
                               "merged_at": None, "merge_commit_sha": None}  # fmt: skip
        state["runs"].append({
            "id": run_id, "workflow": "plan.yml", "event": "pull_request", "head_sha": head_sha,
            "conclusion": "success" if job.ok else "failure", "head_repository": {"full_name": head_repo},
            "artifacts": state.get("uploads", {}).get(str(run_id), {}),
        })  # fmt: skip

    runner.update_gh(file_run)
    return job


def run_comment(runner: Runner, run_id: int, head_sha: str, *, head_repo: str = REPO) -> JobRun:
    conclusion = next(r["conclusion"] for r in runner.gh()["runs"] if r["id"] == run_id)
    event = {"workflow_run": {"id": run_id, "event": "pull_request", "head_sha": head_sha, "conclusion": conclusion,
                              "head_repository": {"full_name": head_repo}}}  # fmt: skip
    return runner.run_job("plan-comment.yml", "comment", event_name="workflow_run", event=event,
                          run_id=run_id + 500, sha="main-head", secrets={})  # fmt: skip


def comments(runner: Runner) -> list[dict[str, Any]]:
    return list(runner.gh()["comments"].get("7", []))


def test_every_action_is_pinned_to_a_commit_and_known_here() -> None:
    for workflow in ("plan.yml", "plan-comment.yml", "apply.yml", "test.yml"):
        for uses in uses_of(workflow):
            assert uses in (CHECKOUT, SETUP_PYTHON, UPLOAD_ARTIFACT), (workflow, uses)


def test_plan_is_commented_once_and_updated_in_place(runner: Runner, sandbox: RunningSandbox) -> None:
    first = run_plan(runner, 101, "h1")
    assert first.ok, first.output
    assert first.outputs["plan"]["outputs"]["status"] == "changes"
    artifact = Path(runner.gh()["runs"][0]["artifacts"]["reconciler-plan"])
    assert json.loads((artifact / "plan.json").read_text())["account"]["id"] == "acct_sandbox"
    assert (artifact / "comment.md").read_text().startswith(f"{MARKER}\n### Reconciler plan\n")
    assert "Plan status: changes" in first.summary
    # Someone else's comment that quotes the marker is never touched.
    runner.update_gh(lambda s: s["comments"].setdefault("7", []).append(
        {"id": 1, "body": f"{MARKER} quoted", "user": {"login": "octocat"}}))
    posted = run_comment(runner, 101, "h1")
    assert posted.ok, posted.output
    ours = [c for c in comments(runner) if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and "customer globex" in ours[0]["body"]
    assert "Globex Ltd" not in ours[0]["body"] and "(redacted)" in ours[0]["body"]  # RECONCILER_REDACT in plan.yml

    second = run_plan(runner, 102, "h2")
    assert second.ok, second.output
    assert run_comment(runner, 102, "h2").ok
    ours_after = [c for c in comments(runner) if c["user"]["login"] == "github-actions[bot]"]
    assert [c["id"] for c in ours_after] == [ours[0]["id"]]
    assert comments(runner)[0] == {"id": 1, "body": f"{MARKER} quoted", "user": {"login": "octocat"}}
    assert sandbox.stats()["writes"] == 0  # planning never writes


def test_a_superseded_plan_is_not_posted(runner: Runner) -> None:
    assert run_plan(runner, 101, "h1").ok
    runner.update_gh(lambda s: s["pulls"]["7"]["head"].update(sha="h2"))
    result = run_comment(runner, 101, "h1")
    assert result.ok and "superseded, not posted" in result.output
    assert comments(runner) == []


def test_no_changes_is_said_plainly(runner: Runner) -> None:
    # The pull request's specs are already in the account.
    applied = invoke(["apply", str(runner.trees[""] / "specs"), "--yes",
                                        "--api-key", SANDBOX_API_KEY, "--api-base", runner.base_env["STRIPE_API_BASE"]], catch_exceptions=True)
    assert applied.exit_code == 0, applied.output
    job = run_plan(runner, 102, "h2")
    assert job.ok and job.outputs["plan"]["outputs"]["status"] == "no-changes"
    assert run_comment(runner, 102, "h2").ok
    assert "No changes. Live state matches the specs." in comments(runner)[0]["body"]


def test_an_invalid_spec_fails_the_check_and_comments_the_error(runner: Runner, tmp_path: Path) -> None:
    runner.trees[""] = tree(tmp_path, "broken", broken=True)
    job = run_plan(runner, 101, "h1")
    assert not job.ok and "invalid specs or a plan error" in job.output
    assert run_comment(runner, 101, "h1").ok
    body = comments(runner)[0]["body"]
    assert body.startswith(f"{MARKER}\n### Reconciler plan failed: invalid specs\n")
    assert "broken.yaml:2:3:" in body


def test_a_fork_gets_no_key_and_a_fixed_notice_never_its_artifact(runner: Runner, sandbox: RunningSandbox) -> None:
    job = run_plan(runner, 101, "h1", head_repo=FORK)
    assert job.ok and job.outputs["plan"]["outputs"]["status"] == "no-key"
    assert sandbox.stats()["total"] == 0  # no request at all: there was no key
    artifact = Path(runner.gh()["runs"][0]["artifacts"]["reconciler-plan"])
    (artifact / "comment.md").write_text(f"{MARKER}\nforged by the fork")
    assert run_comment(runner, 101, "h1", head_repo=FORK).ok
    body = comments(runner)[0]["body"]
    assert "comes from a fork, so it gets no Stripe key and no plan was made" in body
    assert "forged" not in body


def merged(runner: Runner, merge_sha: str) -> None:
    runner.update_gh(lambda s: s["pulls"]["7"].update(merged_at="2026-11-20T10:00:00Z", merge_commit_sha=merge_sha))


def run_apply(runner: Runner, sha: str, *, inputs: dict[str, str] | None = None, run_id: int = 900) -> JobRun:
    return runner.run_job("apply.yml", "apply", event_name="push" if inputs is None else "workflow_dispatch",
                          event={}, run_id=run_id, sha=sha, secrets={"STRIPE_API_KEY": SANDBOX_API_KEY},
                          inputs=inputs)  # fmt: skip


def test_merge_applies_the_reviewed_plan(runner: Runner, sandbox: RunningSandbox) -> None:
    assert run_plan(runner, 101, "h1").ok
    merged(runner, "m1")
    job = run_apply(runner, "m1")
    assert job.ok, job.output
    assert "applying the plan of run 101" in job.output
    assert job.summary.startswith("### Reconciler apply\n\n**Apply complete: 12 done, 0 failed, 0 skipped.**")
    with open_gateway(api_key=SANDBOX_API_KEY, api_base=sandbox.url, sandbox=None) as gateway:
        assert "globex" in read_live(gateway).customers


def test_a_direct_push_without_a_reviewed_plan_fails_clearly(runner: Runner, sandbox: RunningSandbox) -> None:
    job = run_apply(runner, "d1")
    assert not job.ok
    assert "no reviewed plan: d1 is a direct push, not a merged pull request" in job.output
    assert sandbox.stats()["writes"] == 0


def test_a_refused_plan_fails_the_apply_with_the_reason_in_the_summary(runner: Runner, sandbox: RunningSandbox,
                                                                         tmp_path: Path) -> None:
    assert run_plan(runner, 101, "h1").ok
    merged(runner, "m1")
    # Another merged change the reviewed plan does not hold.
    runner.trees[""] = tree(tmp_path, "main", GLOBEX + "  initech:\n    name: Initech\n")
    job = run_apply(runner, "m1")
    assert not job.ok
    assert "error: not in the reviewed plan: create customer initech (not in Stripe)" in job.output
    assert job.summary.startswith("### Reconciler apply failed\n")
    assert sandbox.stats()["writes"] == 0


def test_dispatch_applies_an_explicit_plan_run(runner: Runner) -> None:
    assert run_plan(runner, 101, "h1").ok
    job = run_apply(runner, "d1", inputs={"plan_run_id": "101", "allow_destroy": "0"})
    assert job.ok, job.output
    assert "Apply complete: 12 done" in job.summary


def test_rerunning_a_successful_apply_job_passes_saying_already_applied(runner: Runner, sandbox: RunningSandbox) -> None:
    """GitHub's "Re-run jobs" on the merge's apply: the same reviewed plan, already applied."""
    assert run_plan(runner, 101, "h1").ok
    merged(runner, "m1")
    assert run_apply(runner, "m1").ok
    writes = sandbox.stats()["writes"]
    rerun = run_apply(runner, "m1", run_id=901)  # (a re-run's own workspace here)
    assert rerun.ok, rerun.output
    assert "this plan was already applied" in rerun.output
    assert sandbox.stats()["writes"] == writes


def test_a_held_object_is_a_warning_and_the_rest_is_applied_on_merge(runner: Runner, sandbox: RunningSandbox) -> None:
    conn = ["--api-key", SANDBOX_API_KEY, "--api-base", runner.base_env["STRIPE_API_BASE"]]
    applied = invoke(["apply", str(runner.trees["b0"] / "specs"), "--yes", *conn], catch_exceptions=True)
    assert applied.exit_code == 0, applied.output
    with open_gateway(api_key=SANDBOX_API_KEY, api_base=sandbox.url, sandbox=None) as gateway:
        sent = read_live(gateway).invoices["jenny-rosen-2026-11"]
        gateway.exchange("POST", f"/v1/invoices/{sent.id}/void", {})  # a colleague voids it
    job = run_plan(runner, 101, "h1")
    assert job.ok and job.outputs["plan"]["outputs"]["status"] == "held", job.output
    assert "objects held for a person to decide" in job.output
    assert run_comment(runner, 101, "h1").ok
    assert "#### Held: a person must decide" in comments(runner)[0]["body"]
    merged(runner, "m1")
    applied_job = run_apply(runner, "m1")
    assert applied_job.ok, applied_job.output
    assert "#### Held: a person must decide" in applied_job.summary
    with open_gateway(api_key=SANDBOX_API_KEY, api_base=sandbox.url, sandbox=None) as gateway:
        assert "globex" in read_live(gateway).customers  # the rest of the reviewed plan
