"""The apply workflow: specs + live state -> plan (fresh or saved) -> confirm -> execute.

Glue between the parts, kept out of cli.py so the command stays thin and out
of the applier so that engine knows nothing about files or prompts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.apply.options import DEFAULT_MAX_RPS_TEST
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.apply.result import ApplyResult

MAX_PLAN_FILE_BYTES = 50 * 1024 * 1024


class StalePlan(ReconcilerError):
    def __init__(self) -> None:
        super().__init__("stale plan: run plan again (live state changed since the plan was made)")


class PlanForOtherSpecs(ReconcilerError):
    def __init__(self, plan_file: str) -> None:
        super().__init__(f"{plan_file}: plan was made for other specs; run plan again on these specs")


class PlanDoesNotMatch(ReconcilerError):
    def __init__(self, plan_file: str) -> None:
        super().__init__(
            f"{plan_file}: its actions differ from what these specs and live state give "
            "(edited or corrupt plan file); run plan again"
        )


class ApplyCancelled(ReconcilerError):
    def __init__(self) -> None:
        super().__init__("apply cancelled: nothing was changed")


class PlanFileUnreadable(ReconcilerError):
    def __init__(self, plan_file: str, why: str) -> None:
        super().__init__(f"{plan_file}: {why}")


@dataclass(frozen=True, kw_only=True)
class ApplyRequest:
    spec_paths: list[str]
    plan_file: str | None = None
    dry_run: bool = False
    prune: bool = False
    parallelism: int = 4
    max_rps: float = DEFAULT_MAX_RPS_TEST
    fail_fast: bool = False
    result_format: str = "text"
    color: bool = False
    tty: bool = False


def read_plan_file(plan_file: str) -> Any:
    """The JSON document in a saved plan file, or one clear error."""
    path = Path(plan_file)
    try:
        if path.stat().st_size > MAX_PLAN_FILE_BYTES:
            raise PlanFileUnreadable(plan_file, "plan file is larger than 50 MB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileUnreadable(plan_file, "no such plan file") from None
    except IsADirectoryError:
        raise PlanFileUnreadable(plan_file, "is a directory, not a plan file") from None
    except UnicodeDecodeError:
        raise PlanFileUnreadable(plan_file, "not a plan file (not UTF-8 text)") from None
    except OSError as exc:
        raise PlanFileUnreadable(plan_file, f"cannot read plan file: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileUnreadable(plan_file, f"not a plan file (invalid JSON at line {exc.lineno})") from None


def _stderr_echo(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_apply(request: ApplyRequest, gateway: Any, *, confirm: Callable[[], bool],
              echo: Callable[[str], None]) -> ApplyResult:
    """Plan (or load and verify a saved plan), show it, confirm, apply; what happened."""
    from reconciler.apply.report import LineReporter, ProgressReporter
    from reconciler.apply.result import ApplyResult
    from reconciler.apply.runner import ApplyOptions, apply_plan
    from reconciler.gateway.read import read_live
    from reconciler.plan.fingerprint import desired_digest, live_fingerprint
    from reconciler.plan.plan import Plan
    from reconciler.plan.planner import make_plan
    from reconciler.plan.render import render
    from reconciler.spec.loader import load_specs

    desired = load_specs(request.spec_paths)
    saved = None
    if request.plan_file:
        # Parse before touching the API: a bad file must fail with nothing read or written.
        saved = Plan.from_json(read_plan_file(request.plan_file))
        if saved.spec_digest != desired_digest(desired):
            raise PlanForOtherSpecs(request.plan_file)
    live = read_live(gateway)
    the_plan = make_plan(desired, live, prune=saved.prune if saved is not None else request.prune)
    if saved is not None:
        if saved.fingerprint != live_fingerprint(live):
            raise StalePlan()
        # Same specs and same live state must give the same plan: anything else
        # means the file's actions were edited, and only reviewed actions run.
        if saved != the_plan:
            raise PlanDoesNotMatch(str(request.plan_file))

    if request.result_format == "json":
        # stdout carries only the result document; everything for humans goes to stderr.
        result_echo, echo = echo, _stderr_echo
    else:
        result_echo = echo
    echo(render(the_plan, "text", color=request.color).rstrip("\n"))
    if the_plan.is_empty or not _confirmed(request, the_plan, live, confirm, echo):
        result = ApplyResult()
    else:
        reporter = ProgressReporter() if request.tty and request.result_format == "text" else LineReporter(echo=echo)
        options = ApplyOptions(parallelism=request.parallelism, max_rps=request.max_rps, fail_fast=request.fail_fast)
        result = apply_plan(the_plan, gateway, live, options=options, reporter=reporter)
        if request.result_format == "text":
            echo(result.summary_line())
    if request.result_format == "json":
        result_echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    return result


def _confirmed(request: ApplyRequest, the_plan: Any, live: Any, confirm: Callable[[], bool],
               echo: Callable[[str], None]) -> bool:
    """False for a dry run (after listing its requests); ApplyCancelled when the user declines."""
    from reconciler.apply.dry_run import planned_requests, render_requests

    if request.dry_run:
        echo("")
        echo("Dry run: these requests would be sent (none were):")
        echo(render_requests(planned_requests(the_plan, live)).rstrip("\n"))
        return False
    if not confirm():
        # Exit 1, as Terraform does: a wrapper must be able to tell nothing was applied.
        raise ApplyCancelled()
    return True
