"""The spec tree an import writes: its files as YAML, written whole or not at all.

Layout: products.yaml, prices.yaml, customers.yaml and one file per customer
under invoices/ (a kind with more than FILE_ENTRIES entries continues in
`name+2.yaml`…, keeping each file well under the loader's 5 MB). The tree is
written into a temporary folder beside the target, validated there with the
same loader as `reconciler validate`, then moved into place by renames; an
error or Ctrl-C before that leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from reconciler.errors import ReconcilerError
from reconciler.importer.fields import Entry
from reconciler.kinds import KINDS
from reconciler.spec.errors import SpecErrors
from reconciler.spec.loader import is_spec_name, load_specs
from reconciler.text import plural

FILE_ENTRIES = 2_000
HEADER = (
    "# Written by `reconciler import` from the objects in Stripe. `adopt:` is the Stripe object an\n"
    "# entry stands for: the next plan adopts those the tool does not manage yet, and creates none.\n"
)

_MARK = HEADER.splitlines()[0].encode()


class ImportTargetError(ReconcilerError):
    """The folder to import into cannot take the import."""


def _files(out: Path, found: list[Path]) -> str:
    """'3 spec files (a.yaml, b.yaml, c.yaml …)'."""
    shown = ", ".join(str(p.relative_to(out)) for p in found[:3]) + (" …" if len(found) > 3 else "")
    return f"{plural(len(found), 'spec file')} ({shown})"


class TargetHoldsSpecs(ImportTargetError):
    def __init__(self, out: Path, found: list[Path]) -> None:
        super().__init__(
            f"{out} already holds {_files(out, found)}: "
            "import into a new or empty folder, or pass --force to replace the ones import wrote"
        )


class HandWrittenInTheWay(ImportTargetError):
    def __init__(self, out: Path, found: list[Path]) -> None:
        super().__init__(
            f"{out}: import would replace {_files(out, found).replace(' (', ' it did not write (', 1)}; "
            "--force replaces only files import wrote: move them away, or import into another folder"
        )


class TargetNotAFolder(ImportTargetError):
    def __init__(self, out: Path) -> None:
        super().__init__(f"{out} is a file, not a folder: give --out a folder")


class TargetUnwritable(ImportTargetError):
    def __init__(self, out: Path, detail: str) -> None:
        super().__init__(f"cannot write the specs into {out}: {detail}")


class ImportedSpecsInvalid(ReconcilerError):
    """The tree the import made fails validation: a bug of the importer; nothing was written."""

    def __init__(self, errors: SpecErrors) -> None:
        self.errors = errors
        super().__init__("the imported specs do not validate (a bug in reconciler import; nothing was written)")

    def lines(self) -> list[str]:
        return [str(self), *self.errors.lines()[:20]]


def spec_files_in(folder: Path) -> list[Path]:
    """The spec files `validate` would read under `folder` (hidden folders skipped)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts[:-1])
        if is_spec_name(path.name) and not hidden and path.is_file():
            found.append(path)
    return sorted(found)


def written_by_import(path: Path) -> bool:
    """Whether `path` begins with the header every file import writes (else a person wrote it)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(_MARK)) == _MARK
    except OSError:
        return False


def check_target(out: Path, *, force: bool) -> None:
    """Refuse a target that is a file, or that holds spec files (unless `force`), before any read."""
    if out.exists() and not out.is_dir():
        raise TargetNotAFolder(out)
    found = spec_files_in(out)
    if found and not force:
        raise TargetHoldsSpecs(out, found)


def render_files(
    by_kind: dict[str, dict[str, Entry]], invoice_customer: dict[str, str], *, per_file: int = FILE_ENTRIES
) -> dict[str, str]:
    """Relative path -> YAML text for every file of the tree (kinds without entries: no file)."""
    files: dict[str, str] = {}
    for kind, info in KINDS.items():
        if kind != "invoice":  # invoices: one file per customer, below
            files.update(_chunks(info.section, info.section, by_kind.get(kind, {}), per_file))
    by_customer: dict[str, dict[str, Entry]] = {}
    for key, entry in by_kind["invoice"].items():
        by_customer.setdefault(invoice_customer[key], {})[key] = entry
    for customer_key in sorted(by_customer):
        files.update(_chunks(f"invoices/{customer_key}", "invoices", by_customer[customer_key], per_file))
    return files


def _chunks(stem: str, section: str, entries: dict[str, Entry], per_file: int) -> dict[str, str]:
    keys = sorted(entries)
    out = {}
    for n, start in enumerate(range(0, len(keys), per_file), start=1):
        part = {key: entries[key] for key in keys[start : start + per_file]}
        name = f"{stem}.yaml" if n == 1 else f"{stem}+{n}.yaml"
        out[name] = HEADER + _dump({section: part})
    return out


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key (as the specs in this repository are)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)


def write_tree(out: Path, files: dict[str, str], *, force: bool) -> tuple[int, tuple[str, ...]]:
    """Write the tree at `out`, validated, whole: how many old spec files it replaced, and
    the spec files it left because import did not write them (a person's; kept by --force)."""
    check_target(out, force=force)
    in_the_way = [out / relative for relative in sorted(files) if (out / relative).exists()]
    in_the_way = [path for path in in_the_way if not written_by_import(path)]
    if in_the_way:
        raise HandWrittenInTheWay(out, in_the_way)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    except OSError as exc:
        raise TargetUnwritable(out, exc.strerror or str(exc)) from None
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _validate(staging, files)
        with _interrupts_deferred():
            return _move_into_place(staging, out, files)
    except OSError as exc:
        raise TargetUnwritable(out, exc.strerror or str(exc)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _validate(staging: Path, files: dict[str, str]) -> None:
    if not files:
        return
    try:
        load_specs([staging])
    except SpecErrors as errors:
        raise ImportedSpecsInvalid(errors) from None


def _move_into_place(staging: Path, out: Path, files: dict[str, str]) -> tuple[int, tuple[str, ...]]:
    """One rename when the target is new (or empty); else file by file, and the
    old spec files an earlier import wrote and this one does not rewrite removed
    (there are some only with --force). A spec file a person wrote is never touched."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        os.replace(staging, out)
        return 0, ()
    old = spec_files_in(out)
    ours = [path for path in old if written_by_import(path)]
    kept = tuple(str(path.relative_to(out)) for path in old if path not in ours)
    for relative in sorted(files):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target)
    written = {(out / relative).resolve() for relative in files}
    for path in ours:
        if path.resolve() not in written:
            path.unlink()
    return len(ours), kept


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Ctrl-C during the renames waits for them (a few system calls), then interrupts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
