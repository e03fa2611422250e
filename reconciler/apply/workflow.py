"""The plan and apply workflows: specs + live state -> plan (fresh or saved) -> confirm -> execute.

Orchestration of the parts, kept out of the CLI so the commands stay thin, and
out of the runner so that engine knows nothing about files or prompts. Plan
files themselves are reconciler.plan.files.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.apply.options import DEFAULT_MAX_RPS_TEST, MAX_PARALLELISM
from reconciler.errors import ReconcilerError
from reconciler.gcpause import collector_paused
from reconciler.plan.files import read_plan_file

if TYPE_CHECKING:
    from reconciler.apply.options import ApplyOptions
    from reconciler.apply.result import ApplyResult

ALREADY_APPLIED = "this plan was already applied: every reviewed action is done; nothing was written"


class ApplyCancelled(ReconcilerError):
    def __init__(self) -> None:
        super().__init__("apply cancelled: nothing was changed")


class TargetsDiffer(ReconcilerError):
    kind = "usage"

    def __init__(self, plan_file: str, saved: tuple[str, ...], given: tuple[str, ...]) -> None:
        made = ", ".join(saved) or "no --target"
        super().__init__(
            f"{plan_file}: plan was made with {made}; apply --plan applies it as made: "
            f"leave out --target ({', '.join(given)})"
        )


class PruneNotInPlan(ReconcilerError):
    kind = "usage"

    def __init__(self, plan_file: str) -> None:
        super().__init__(
            f"{plan_file}: --prune given, but this plan was made without --prune (its reviewed actions remove "
            "nothing); run plan --prune --out again, or apply without --prune"
        )


@dataclass(frozen=True, kw_only=True)
class ApplyRequest:
    spec_paths: list[str]
    plan_file: str | None = None
    dry_run: bool = False
    prune: bool = False
    targets: tuple[str, ...] = ()  # "kind/key"
    allow_destroy: int = 0
    redact: bool = False
    parallelism: int = MAX_PARALLELISM
    max_rps: float = DEFAULT_MAX_RPS_TEST
    fail_fast: bool = False
    result_format: str = "text"
    color: bool = False
    tty: bool = False
    # Backoff and rate-limit waits of the applier (tests pass one that returns at once).
    sleep: Callable[[float], None] = time.sleep


def run_plan(
    spec_paths: list[str],
    gateway: Any,
    *,
    prune: bool,
    targets: tuple[str, ...],
    max_rps: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """The plan `reconciler plan` prints: specs, account and live state read, then planned for review."""
    from reconciler.gateway.account import read_account
    from reconciler.gateway.read import read_live, read_pacer
    from reconciler.plan.review import plan_for_review
    from reconciler.plan.target import Target
    from reconciler.spec.loader import load_specs

    desired = load_specs(spec_paths)
    parsed = tuple(Target.parse(t) for t in targets)
    pacer = read_pacer(max_rps, sleep=sleep)
    account = read_account(gateway, pacer=pacer)
    live = read_live(gateway, adopt=desired.adopt_ids(), pacer=pacer, account_tax_ids=desired.names_account_tax_ids())
    with collector_paused():  # see reconciler.gcpause: the planner builds as much as it reads
        the_plan = plan_for_review(desired, live, account=account, prune=prune, targets=parsed)
    return with_credit_previews(the_plan, gateway, desired, live)


def with_credit_previews(the_plan: Any, gateway: Any, desired: Any, live: Any) -> Any:
    """The plan with what each credit note it issues changes for the customer, as Stripe previews it
    (one read per credit note; a preview Stripe refuses is an error before anything is written)."""
    from reconciler.gateway.credit_notes import preview_credit_note
    from reconciler.plan.actions import CreateCreditNote
    from reconciler.plan.notices import credit_note_notices

    issued = [a for a in the_plan.actions if isinstance(a, CreateCreditNote)]
    if not issued:
        return the_plan
    previews = {a.key: preview_credit_note(gateway, a.key, a.params) for a in issued}
    notices = credit_note_notices(the_plan.actions, previews, desired, live)
    return dataclasses.replace(the_plan, notices=(*the_plan.notices, *notices))


def _stderr_echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_apply(request: ApplyRequest, gateway: Any, *, confirm: Callable[[], bool],
              echo: Callable[[str], None]) -> ApplyResult:
    """Plan (or load and verify a saved plan), show it, confirm, apply; what happened."""
    from reconciler.gateway.account import read_account
    from reconciler.gateway.read import read_live
    from reconciler.plan.plan import Plan
    from reconciler.plan.review import check_account, check_actions, check_objects, check_watch_list, plan_for_review
    from reconciler.plan.target import Target
    from reconciler.spec.loader import load_specs

    desired = load_specs(request.spec_paths)
    targets = tuple(Target.parse(t) for t in request.targets)
    saved = None
    if request.plan_file:
        # Parse before touching the API: a bad file must fail with nothing read or written.
        saved = Plan.from_json(read_plan_file(request.plan_file))
        if targets and tuple(str(t) for t in sorted(set(targets))) != saved.targets:
            raise TargetsDiffer(request.plan_file, saved.targets, request.targets)
        if request.prune and not saved.prune:
            raise PruneNotInPlan(request.plan_file)
        targets = tuple(Target.parse(t) for t in saved.targets)
    # One pacer for the whole run: the reads count against the rate limit, and
    # the apply starts with their round trip known.
    pacer = _options(request).pacer()
    account = read_account(gateway, pacer=pacer)
    if saved is not None:
        check_account(saved, account, str(request.plan_file))
    live = read_live(gateway, adopt=desired.adopt_ids(), pacer=pacer, account_tax_ids=desired.names_account_tax_ids())
    progress = check_objects(saved, live, desired) if saved is not None else None
    with collector_paused():
        the_plan = plan_for_review(
            desired, live, account=account, prune=saved.prune if saved is not None else request.prune, targets=targets
        )
    if saved is not None:
        # Only reviewed actions run: anything else means the file was edited or
        # the specs now ask for more (or less) than what was reviewed.
        done = check_actions(saved, the_plan, str(request.plan_file), progress)
        if not done:
            # (Part-applied, the fresh plan watches less, and its objects moved on: the
            # checks above compared each reviewed object and action instead.)
            check_watch_list(saved, the_plan, str(request.plan_file))
        elif not the_plan.is_empty:
            echo(f"Resuming {request.plan_file}: {done} of {len(saved.actions)} reviewed actions are already done; "
                 "applying the rest.")
    the_plan = with_credit_previews(the_plan, gateway, desired, live)
    the_plan.raise_if_unsafe(allow_destroy=request.allow_destroy)
    already = saved is not None and bool(saved.actions) and the_plan.is_empty
    return _execute(request, the_plan, gateway, live, confirm=confirm, echo=echo, pacer=pacer, already=already)


def _options(request: ApplyRequest) -> ApplyOptions:
    from reconciler.apply.options import ApplyOptions

    return ApplyOptions(
        parallelism=request.parallelism, max_rps=request.max_rps, fail_fast=request.fail_fast, sleep=request.sleep
    )


def _execute(request: ApplyRequest, the_plan: Any, gateway: Any, live: Any, *, confirm: Callable[[], bool],
             echo: Callable[[str], None], pacer: Any, already: bool = False) -> ApplyResult:
    from reconciler.apply.report import LineReporter, ProgressReporter
    from reconciler.apply.result import ApplyResult
    from reconciler.apply.runner import apply_plan
    from reconciler.plan.redact import redact
    from reconciler.plan.render import render

    if request.result_format in ("json", "markdown"):
        # stdout carries only the result document; everything for humans goes to stderr.
        result_echo, echo = echo, _stderr_echo
    else:
        result_echo = echo
    shown = redact(the_plan) if request.redact else the_plan
    if already:  # a re-run (CI's "Re-run jobs"): not stale, nothing to do
        echo(f"{request.plan_file}: {ALREADY_APPLIED}")
    else:
        echo(render(shown, "text", color=request.color).rstrip("\n"))
    planned: list[Any] = []
    if request.dry_run and not the_plan.is_empty:
        planned = _dry_run(request, the_plan, live, echo)
        result = ApplyResult()
    elif the_plan.is_empty or not _confirmed(confirm):
        result = ApplyResult()
    else:
        reporter = ProgressReporter() if request.tty and request.result_format == "text" else LineReporter(echo=echo)
        result = apply_plan(the_plan, gateway, live, options=_options(request), reporter=reporter, pacer=pacer)
    result.held = list(the_plan.conflicts)
    result.already_applied = already
    if request.result_format == "text" and not request.dry_run and (result.done or result.failed or result.skipped or result.held):
        echo(result.summary_line())
    if request.result_format == "json":
        document = result.to_json()
        if request.dry_run:  # nothing was sent: the document says so, and what would have been
            document.update(dry_run=True, planned_requests=[dataclasses.asdict(r) for r in planned])
        result_echo(json.dumps(document, indent=2, sort_keys=True))
    elif request.result_format == "markdown":
        result_echo(result.to_markdown(dry_run=request.dry_run).rstrip("\n"))
    return result


def _dry_run(request: ApplyRequest, the_plan: Any, live: Any, echo: Callable[[str], None]) -> list[Any]:
    """List the requests apply would send (redacted with --redact); they are returned for the JSON result."""
    from reconciler.apply.dry_run import planned_requests, render_requests

    requests = planned_requests(the_plan, live)
    if request.redact:
        from reconciler.plan.redact import redact_request_params

        requests = [dataclasses.replace(r, params=redact_request_params(r.path, r.params)) for r in requests]
    echo("")
    echo("Dry run: these requests would be sent (none were):")
    echo(render_requests(requests).rstrip("\n"))
    return requests


def _confirmed(confirm: Callable[[], bool]) -> bool:
    """True once the user agreed; ApplyCancelled when they decline."""
    if not confirm():
        # Exit 1, as Terraform does: a wrapper must be able to tell nothing was applied.
        raise ApplyCancelled()
    return True
