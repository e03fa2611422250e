"""Spec loading speed: `validate` against libyaml's bare compose of the same files.

    .venv/bin/python bench/load_bench.py [--customers 10000] [--invoices 10000]

Writes a spec tree (50 products, 100 prices, the customers, and invoices of
3 items each: 3.6 MB at the defaults) into a temporary directory, then times,
best of three runs each:

- libyaml compose: `yaml.compose(text, Loader=yaml.CSafeLoader)` of every
  file, one after the other, each graph let go: the floor for any loader that
  keeps positions;
- validate: `load_specs` (what `reconciler validate` runs: read, compose,
  values and positions, duplicate keys, field and reference rules);
- the pure-Python loader for comparison (validate without libyaml).

Target: validate within 3x of the libyaml compose.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.spec.compose import pure_python_loader  # noqa: E402
from reconciler.spec.loader import find_spec_files, load_specs, summary_line  # noqa: E402

TARGET_RATIO = 3.0
PRODUCTS, PRICES, ITEMS = 50, 100, 3
PER_FILE = 1000


def write_specs(root: Path, *, customers: int, invoices: int) -> list[Path]:
    """A spec tree like a large account's: catalog, customers and invoices, 1,000 entries a file."""
    root.mkdir(parents=True, exist_ok=True)
    catalog = ["products:"]
    for n in range(PRODUCTS):
        catalog += [f"  product-{n}:", f"    name: Product {n}", "    metadata:", f"      team: team-{n % 5}"]
    catalog.append("prices:")
    for n in range(PRICES):
        catalog += [
            f"  price-{n}:",
            f"    product: product-{n % PRODUCTS}",
            f"    unit_amount: {100 * (n + 1)}  # minor units",
            "    currency: usd",
            f"    nickname: Price {n}",
        ]
    (root / "catalog.yaml").write_text("\n".join(catalog) + "\n", encoding="utf-8")
    for start in range(0, customers, PER_FILE):
        lines = ["customers:"]
        for n in range(start, min(customers, start + PER_FILE)):
            lines += [
                f"  customer-{n:05d}:",
                f"    name: Customer {n}",
                f"    email: customer-{n}@example.com",
                f"    description: Account {n}, billed monthly",
                "    metadata:",
                f"      crm_id: crm-{n:07d}",
            ]
        (root / f"customers-{start // PER_FILE:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for start in range(0, invoices, PER_FILE):
        lines = ["invoices:"]
        for n in range(start, min(invoices, start + PER_FILE)):
            lines += [
                f"  invoice-{n:06d}:",
                f"    customer: customer-{n % max(1, customers):05d}",
                "    collection_method: send_invoice",
                "    days_until_due: 30",
                f"    status: {('draft', 'open', 'sent', 'paid')[n % 4]}",
                f"    description: Services, period {n % 12 + 1}",
                "    items:",
            ]
            for i in range(ITEMS):
                lines += [f"      - price: price-{(n + i) % PRICES}", f"        quantity: {i + 1}"]
        (root / f"invoices-{start // PER_FILE:03d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted(root.glob("*.yaml"))


def compose_each(texts: list[str]) -> None:
    """Each file's node graph, let go before the next (so no collector walks them all again)."""
    for text in texts:
        yaml.compose(text, Loader=yaml.CSafeLoader)


def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not yaml.__with_libyaml__:
        print("PyYAML was built without libyaml: nothing to compare against")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "specs"
        files = write_specs(root, customers=args.customers, invoices=args.invoices)
        size = sum(f.stat().st_size for f in files)
        texts = [f.read_text(encoding="utf-8") for f in files]
        print(f"{len(files)} files, {size / 2**20:.1f} MB: {PRODUCTS} products, {PRICES} prices, "
              f"{args.customers} customers, {args.invoices} invoices x {ITEMS} items")  # fmt: skip
        assert find_spec_files([root], []) and load_specs([root])  # warm up imports, check validity
        print(summary_line(load_specs([root])))

        compose = best_of(args.runs, lambda: compose_each(texts))
        validate = best_of(args.runs, lambda: load_specs([root]))
        with pure_python_loader():
            pure = best_of(1, lambda: load_specs([root]))

    ratio = validate / compose
    print(f"libyaml compose (bare):   {compose:6.2f} s")
    print(f"validate:                 {validate:6.2f} s   {ratio:.2f}x the compose (target <= {TARGET_RATIO:.0f}x)")
    print(f"validate, pure Python:    {pure:6.2f} s   {pure / compose:.2f}x the compose")
    ok = ratio <= TARGET_RATIO
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
