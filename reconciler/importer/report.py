"""What an import did, and what it could not express: printed at its end."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.importer.build import KINDS, Note
from reconciler.kinds import KINDS as KIND_INFOS
from reconciler.text import plural


def _count(n: int, kind: str) -> str:
    word = kind if n == 1 else KIND_INFOS[kind].section if kind in KIND_INFOS else kind + "s"
    return f"{n} {word.replace('_', ' ')}"


def _counts(counts: dict[str, int]) -> str:
    """'1 product, 0 prices, …': every kind of the first plan files, a later one only when there are some."""
    return ", ".join(_count(counts.get(kind, 0), kind) for kind in KINDS if counts.get(kind) or not KIND_INFOS[kind].later)


_NAMED = 20  # objects a report line names before "and N more"


@dataclass(frozen=True)
class ImportReport:
    out: str
    files: tuple[str, ...]
    written: dict[str, int]  # kind -> entries written
    adopted: int  # entries with `adopt:` (not managed yet)
    managed: int  # entries of objects already managed
    pulled: dict[str, int]  # kind -> entries that came along as references of the selection
    pulled_names: tuple[str, ...] = ()  # those entries, "customer fox-mulder"
    unexpressed: tuple[Note, ...] = ()
    skipped: tuple[Note, ...] = ()
    list_requests: int = 0  # list requests of the four kinds (and long invoices' lines)
    list_bound: int = 0  # ceil(N/100) per kind (per customer with --customer), plus the lines calls
    evidence_requests: int = 0  # Stripe's invoice.sent events and open payments
    replaced: int = 0  # old spec files an earlier import wrote, replaced (--force)
    kept: tuple[str, ...] = ()  # spec files in the folder a person wrote: left as they are (--force)
    metadata_claimed: tuple[Note, ...] = ()  # objects to adopt whose metadata the specs name (--metadata)
    metadata_left: tuple[Note, ...] = ()  # objects to adopt whose metadata was left out of the specs
    read: dict[str, int] = field(default_factory=dict)  # kind -> objects read

    def lines(self) -> list[str]:
        read = _counts(self.read)
        lines = [
            f"Read {read} from Stripe in {self.list_requests} list requests (bound: {self.list_bound}, "
            f"ceil(N/100) per kind) and {self.evidence_requests} for the send evidence; wrote nothing to Stripe."
        ]
        if not self.files:
            return [*lines, "Nothing to import: no files written.", *self._skipped()]
        written = _counts(self.written)
        replaced = f", replacing {plural(self.replaced, 'spec file')} an earlier import wrote" if self.replaced else ""
        lines.append(f"Wrote {written} to {self.out}/ in {len(self.files)} files{replaced}.")
        if self.kept:
            lines.append(
                f"  Left as they are: {plural(len(self.kept), 'spec file')} import did not write "
                f"({', '.join(self.kept)}); plan reads them with the imported ones."
            )
        pulled = [_count(n, kind) for kind in KINDS if (n := self.pulled.get(kind, 0))]
        if pulled:
            names = sorted(self.pulled_names)
            shown = ", ".join(names[:_NAMED]) + (f", and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
            lines.append(
                f"  Of these, {', '.join(pulled)} came along because the selection refers to them: {shown}."
            )
        lines.append(
            f"  {self.adopted} to adopt (`adopt:` in their specs), {self.managed} already managed by reconciler."
        )
        if self.metadata_left:
            lines += [
                "",
                "Metadata left out of the specs (whose keys they are cannot be told; Stripe keeps them, the tool "
                "never changes them; `import --metadata` writes them, and adoption claims them):",
                *(f"  {note.label}: {note.text}" for note in self.metadata_left),
            ]
        if self.metadata_claimed:
            lines += [
                "",
                "Metadata claimed (--metadata): once adopted these keys are the tool's, and one removed from a spec "
                "is deleted in Stripe; delete from the specs the keys another integration maintains:",
                *(f"  {note.label}: {note.text}" for note in self.metadata_claimed),
            ]
        if self.unexpressed:
            lines += ["", "Not expressed in the specs (left in Stripe as they are, never changed by the tool):"]
            lines += [f"  {note.label}: {note.text}" for note in self.unexpressed]
        lines += self._skipped()
        lines += ["", f"Next: review the files, then `reconciler plan {self.out}`: it adopts, and creates nothing."]
        return lines

    def _skipped(self) -> list[str]:
        if not self.skipped:
            return []
        return ["", "Skipped (not imported):", *(f"  {note.label}: {note.text}" for note in self.skipped)]
