"""Whatever the input, load_specs returns a Desired or raises SpecErrors: never anything else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.spec.errors import SpecErrors
from reconciler.spec.loader import load_specs
from reconciler.spec.models import Desired, InvoiceItemSpec, InvoiceSpec

pytestmark = pytest.mark.slow  # property tests, hundreds of examples each

FIELDS = [
    "products", "prices", "customers", "invoices", "name", "description", "active", "unit_label",
    "metadata", "product", "unit_amount", "currency", "nickname", "lookup_key", "email", "phone",
    "customer", "collection_method", "days_until_due", "status", "footer", "items", "key", "price",
    "quantity", "amount", "send_invoice", "charge_automatically", "draft", "sent", "usd", "EUR", "gold",
    "jenny", "reconciler_id", "<<", "",
]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(FIELDS)
    | st.text(max_size=30)
    | st.dates()
)
names = st.sampled_from(FIELDS) | st.text(max_size=12)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(names, children, max_size=5),
    max_leaves=12,
)
# Shaped like a spec file so that generated documents reach the deeper rules too.
entries = st.dictionaries(names, st.dictionaries(names, values, max_size=5) | values, max_size=2)
spec_like = st.dictionaries(st.sampled_from(FIELDS[:4] + ["product"]), entries, max_size=3)


def load(files: dict[str, bytes]) -> Desired | SpecErrors:
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_bytes(content)
        try:
            return load_specs([tmp])
        except SpecErrors as exc:
            assert exc.lines(), "SpecErrors must never be empty"
            assert all(line.startswith(tmp) for line in exc.lines())
            return exc


@SETTINGS
@given(document=values | spec_like, flow=st.booleans(), unicode=st.booleans())
def test_arbitrary_yaml_documents(document: Any, flow: bool, unicode: bool) -> None:
    text = yaml.dump(document, default_flow_style=flow, allow_unicode=unicode)
    load({"a.yaml": text.encode("utf-8")})


@settings(SETTINGS, max_examples=100)
@given(first=spec_like, second=spec_like)
def test_arbitrary_pairs_of_spec_like_files(first: Any, second: Any) -> None:
    load({"a.yaml": yaml.safe_dump(first).encode(), "b.yml": yaml.safe_dump(second).encode()})


@SETTINGS
@given(content=st.binary(max_size=400))
def test_arbitrary_bytes(content: bytes) -> None:
    load({"a.yaml": content})


yaml_alphabet = st.sampled_from(list("abc:-[]{},&*!|>'\"#%@`?~ \t\n\r0129.\\") + ["\u00e9", "\ufeff", "\x85", "\u2028"])


@SETTINGS
@given(text=st.text(alphabet=yaml_alphabet, max_size=200))
def test_arbitrary_yaml_like_text(text: str) -> None:
    load({"a.yaml": text.encode("utf-8")})


@SETTINGS
@given(document=spec_like, data=st.data())
def test_corrupted_spec_files(document: Any, data: st.DataObject) -> None:
    raw = bytearray(yaml.safe_dump(document).encode("utf-8"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(raw)))
        raw[position:position] = data.draw(st.binary(min_size=1, max_size=3))
    load({"a.yaml": bytes(raw)})


spec_keys = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,8}\Z")
items = st.lists(
    st.builds(
        InvoiceItemSpec,
        key=st.none() | spec_keys,
        price=st.none() | st.sampled_from(["gold-usd", "gold-eur", "setup-fee", "item"]),
        description=st.none() | st.sampled_from(["Setup fee", "setup-fee", "", "!!", "Gold USD"]),
    ),
    min_size=1,
    max_size=30,
)


@SETTINGS
@given(items=items)
def test_keyed_item_identities_are_unique_and_stable(items: list[InvoiceItemSpec]) -> None:
    invoice = InvoiceSpec(customer="c", days_until_due=30, items=items)
    keyed = invoice.keyed_items()
    assert len({key for key, _ in keyed}) == len(items)
    assert [item for _, item in keyed] == items
    # Identities do not depend on where the other items sit, only on repeats before them.
    reordered = InvoiceSpec(customer="c", days_until_due=30, items=list(reversed(items))).keyed_items()
    assert {key.split("#")[0] for key, _ in reordered} == {key.split("#")[0] for key, _ in keyed}
