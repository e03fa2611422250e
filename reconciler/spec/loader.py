"""Load spec files into a validated `Desired`, collecting every error of the run."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import ReconcilerError
from reconciler.gcpause import collector_paused
from reconciler.kinds import BY_SECTION, names_list
from reconciler.spec.entries import KINDS, Entry
from reconciler.spec.errors import SpecError, SpecErrors
from reconciler.spec.models import KEY_RULE, SPEC_KEY_PATTERN, Desired, Location
from reconciler.spec.pydantic_errors import translate
from reconciler.spec.rules import check_entry, check_raw, check_references
from reconciler.spec.yamltree import Document, describe, read_document

SUFFIXES = (".yaml", ".yml")
_KEY = re.compile(SPEC_KEY_PATTERN)
_TOP_LEVEL = names_list(list(KINDS))


def load_specs(paths: Sequence[str | Path]) -> Desired:
    """Read and validate every spec file under `paths`; raise SpecErrors listing all problems."""
    with collector_paused():
        return _load_specs(paths)


def _load_specs(paths: Sequence[str | Path]) -> Desired:
    errors: list[SpecError] = []
    files = find_spec_files(paths, errors)
    entries: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
    for path, display in files:
        document = read_document(path, display, errors)
        if document is not None:
            errors.extend(_collect(document, entries))
    for by_key in entries.values():
        for entry in by_key.values():
            errors.extend(_validate(entry))
    errors.extend(check_references(entries))
    if errors:
        raise SpecErrors(errors)
    # Each section's models were validated as that section's kind.
    sections: dict[str, Any] = {kind: {key: e.model for key, e in by_key.items()} for kind, by_key in entries.items()}
    return Desired(
        **sections,
        locations={
            f"{kind}/{key}": _location(entry) for kind, by_key in entries.items() for key, entry in by_key.items()
        },
        files=[display for _, display in files],
    )


def summary_line(desired: Desired) -> str:
    """One line of counts, e.g. 'OK: 3 files, 1 product, 1 price, 2 customers, 2 invoices'."""
    counts = [(len(desired.files), "file")]
    for section, (singular, _) in KINDS.items():
        n = len(getattr(desired, section))
        if n or not BY_SECTION[section].later:  # a kind registered later: counted once the specs have one
            counts.append((n, singular.replace("_", " ")))
    return "OK: " + ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)


class OutputInsideSpecs(ReconcilerError):
    def __init__(self, option: str, out_file: str, spec_path: str) -> None:
        super().__init__(
            f"{option} {out_file} is inside the spec path {spec_path}: it could overwrite a spec or be read "
            "as one; write it outside the specs"
        )


def refuse_output_inside(out_file: str, spec_paths: Sequence[str | Path], *, option: str) -> None:
    """Raise OutputInsideSpecs if `out_file` is a spec file or lies under a spec directory."""
    target = Path(out_file).resolve()
    for given in spec_paths:
        root = Path(given).resolve()
        if target == root or (root.is_dir() and root in target.parents):
            raise OutputInsideSpecs(option, out_file, str(given))


def find_spec_files(paths: Sequence[str | Path], errors: list[SpecError]) -> list[tuple[Path, str]]:
    """(path, name to show) of every spec file under `paths`, sorted, each once.

    Symlinked directories are followed (a link back to a directory being
    walked is an error, not a loop); hidden directories (.git, .venv, ...)
    are never spec trees.
    """
    found: dict[Path, tuple[Path, str]] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            matches = _walk(path, errors)
            if not matches:
                errors.append(SpecError(str(given), 1, 1, "no *.yaml or *.yml files in this directory"))
            for match in matches:
                found.setdefault(match.resolve(), (match, str(match)))
        elif path.is_file():
            # A file named explicitly is read whatever its suffix.
            found.setdefault(path.resolve(), (path, str(given)))
        elif path.exists():
            errors.append(SpecError(str(given), 1, 1, "not a file or directory"))
        elif path.is_symlink():
            errors.append(SpecError(str(given), 1, 1, "broken symlink: its target does not exist"))
        else:
            errors.append(SpecError(str(given), 1, 1, "no such file or directory"))
    return sorted(found.values(), key=lambda pair: pair[1])


def _walk(root: Path, errors: list[SpecError]) -> list[Path]:
    """Spec files under `root`, following symlinked directories once along each branch."""
    files: list[Path] = []
    stack: list[tuple[Path, tuple[tuple[int, int], ...]]] = [(root, (_identity(root),))]
    while stack:
        directory, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            errors.append(SpecError(str(directory), 1, 1, f"cannot read this directory: {exc.strerror}"))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                is_dir = is_file = False
            if is_dir:
                if entry.name.startswith("."):
                    continue
                identity = _identity(path)
                if identity in ancestors:
                    errors.append(SpecError(str(path), 1, 1, "symlinked directory loops back to a directory "
                                                             "above it; remove the link"))
                    continue
                stack.append((path, (*ancestors, identity)))
            elif is_spec_name(entry.name):
                if is_file:
                    files.append(path)
                elif entry.is_symlink() and not path.exists():
                    errors.append(SpecError(str(path), 1, 1, "broken symlink: its target does not exist"))
    return files


def is_spec_name(name: str) -> bool:
    """Whether a file of a spec directory is a spec: `*.yaml`/`*.yml` in any case (`A.YAML`),
    not hidden. Hidden covers editors' lock links (Emacs `.#a.yaml`, often a broken link)
    and swap files; their backups (`a.yaml~`, `#a.yaml#`) do not end in a spec suffix."""
    return not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES


def _identity(directory: Path) -> tuple[int, int]:
    stat = directory.stat()
    return stat.st_dev, stat.st_ino


def _collect(document: Document, entries: dict[str, dict[str, Entry]]) -> Iterator[SpecError]:
    """Register the entries of one file; report shape problems and duplicate keys."""
    data = document.data
    if not isinstance(data, dict):
        yield document.error(
            document.value_pos(()),
            f"the top level must be a mapping with {_TOP_LEVEL}; got {describe(data)}",
        )
        return
    for kind, section in data.items():
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, list(KINDS), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {_TOP_LEVEL}"
            yield document.error(document.key_pos((kind,)), f"unknown top-level key '{kind}' ({hint})")
            continue
        if section is None:  # `products:` with everything below commented out
            continue
        if not isinstance(section, dict):
            yield document.error(
                document.value_pos((kind,)),
                f"{kind}: expected a mapping of spec keys to {kind}, got {describe(section)}",
            )
            continue
        singular = KINDS[kind][0]
        for key, raw in section.items():
            entry = Entry(kind, key, document, raw)
            if not _KEY.match(key):
                yield entry.at(
                    (),
                    f"{singular} key {key!r} is not a valid key ({KEY_RULE})",
                    on_key=True,
                )
            first = entries[kind].get(key)
            if first is not None:
                pos = first.doc.key_pos(first.path)
                message = f"{entry.where} is defined twice; also defined at {first.doc.file}:{pos.line}"
                yield entry.at((), message, on_key=True)
                continue
            entries[kind][key] = entry


def _validate(entry: Entry) -> Iterator[SpecError]:
    yield from check_raw(entry)
    model = KINDS[entry.kind][1]
    try:
        entry.model = model.model_validate(entry.raw)
    except ValidationError as exc:
        for pos, message in translate(exc, model, entry.where, entry.path, entry.doc):
            yield entry.doc.error(pos, message)
        return
    yield from check_entry(entry)


def _location(entry: Entry) -> Location:
    pos = entry.doc.key_pos(entry.path)
    return Location(file=entry.doc.file, line=pos.line, column=pos.column)
