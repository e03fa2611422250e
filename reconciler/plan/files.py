"""Saved plan files on disk: read one (bounded, a regular file only), write one safely, remove a stale one.

The codec (Plan.to_json / from_json) is reconciler.plan.plan; this module is
only the file: what may be read, where it may be written, and the one-line
errors for everything else.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError

MAX_PLAN_FILE_BYTES = 50 * 1024 * 1024


class PlanFileUnreadable(ReconcilerError):
    kind = "plan_file"

    def __init__(self, plan_file: str, why: str) -> None:
        super().__init__(f"{plan_file}: {why}")


def read_plan_file(plan_file: str) -> Any:
    """The JSON document in a saved plan file, or one clear error.

    Only a regular file is read, and at most MAX_PLAN_FILE_BYTES of it: a FIFO
    or a device (`--plan /dev/zero`) could otherwise be read forever.
    """
    path = Path(plan_file)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            kind = "a directory" if path.is_dir() else "not a regular file (a FIFO, device or socket)"
            raise PlanFileUnreadable(plan_file, f"is {kind}, not a plan file")
        with path.open("rb") as handle:
            data = handle.read(MAX_PLAN_FILE_BYTES + 1)
        if len(data) > MAX_PLAN_FILE_BYTES:
            raise PlanFileUnreadable(plan_file, f"plan file is larger than {MAX_PLAN_FILE_BYTES // 2**20} MB")
        text = data.decode("utf-8")
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
    except ValueError:  # Python's limit on the digits of an integer
        raise PlanFileUnreadable(plan_file, "not a plan file (a number of more than 4,300 digits)") from None
    except RecursionError:
        raise PlanFileUnreadable(plan_file, "not a plan file (nested too deep)") from None


class PlanFileUnwritable(ReconcilerError):
    kind = "plan_file"

    def __init__(self, plan_file: str, why: str) -> None:
        super().__init__(f"cannot write plan file {plan_file}: {why}")


def _special_file_kind(path: Path) -> str | None:
    """What `path` is when it exists and is not a regular file ("a symlink", "a FIFO", ...), else None."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return None


def refuse_special_plan_file(plan_file: str) -> None:
    """Refuse --out naming anything but a regular file or a new name.

    The plan is written by renaming a temporary file over the name, which would
    replace a symlink, a FIFO or a device (as root, /dev/full) with a regular
    file; following the link instead would write wherever it points.
    """
    kind = _special_file_kind(Path(plan_file))
    if kind is not None:
        raise PlanFileUnwritable(plan_file, f"it is {kind}, not a regular file; give --out a new or regular file")


def write_plan_file(plan_file: str, document: dict[str, Any]) -> None:
    """Write the plan atomically: a reader (or a crash) never sees half a plan."""
    path = Path(plan_file)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    # Checked again here: the name may have become special while Stripe was read.
    refuse_special_plan_file(plan_file)
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError as exc:
        if "tmp" in locals():
            Path(tmp.name).unlink(missing_ok=True)
        raise PlanFileUnwritable(plan_file, exc.strerror or str(exc)) from None


def remove_stale_plan_file(plan_file: str) -> None:
    """Remove `plan_file` if it holds a plan (from an earlier run); leave anything else alone."""
    path = Path(plan_file)
    if _special_file_kind(path) is not None:
        return
    try:
        if not path.is_file() or path.stat().st_size > MAX_PLAN_FILE_BYTES:
            return
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return
    if isinstance(document, dict) and "format_version" in document and "actions" in document:
        path.unlink(missing_ok=True)
