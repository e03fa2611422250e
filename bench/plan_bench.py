"""Planner CPU and memory at scale (issue 4, Speed).

10,000 invoices x 3 items over 2,000 customers, 50 products and 100 prices,
all managed and in sync; then the same with about 10% drift. Prints planner
CPU time (time.process_time) and peak traced memory for each run.
Targets: < 2 s CPU, < 500 MB.

    .venv/bin/python bench/plan_bench.py
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from dataclasses import replace

from reconciler.live.records import Live, LiveCustomer, LiveInvoice, LiveItem, LivePrice, LiveProduct
from reconciler.ownership import SEND_DONE
from reconciler.plan.planner import make_plan
from reconciler.spec.models import CustomerSpec, Desired, InvoiceItemSpec, InvoiceSpec, PriceSpec, ProductSpec

N_INVOICES, N_CUSTOMERS, N_PRODUCTS, N_PRICES, ITEMS = 10_000, 2_000, 50, 100, 3
STATUSES = ("draft", "open", "sent", "paid")
CPU_TARGET_S, MEMORY_TARGET_MB = 2.0, 500


def build() -> tuple[Desired, Live]:
    products = {f"prod-{i}": ProductSpec(name=f"Product {i}") for i in range(N_PRODUCTS)}
    prices = {
        f"price-{i}": PriceSpec(product=f"prod-{i % N_PRODUCTS}", unit_amount=100 * (i + 1), currency="usd")
        for i in range(N_PRICES)
    }
    customers = {f"cust-{i}": CustomerSpec(name=f"Customer {i}", email=f"c{i}@example.com") for i in range(N_CUSTOMERS)}
    invoices = {
        f"inv-{i:05d}": InvoiceSpec(
            customer=f"cust-{i % N_CUSTOMERS}",
            days_until_due=30,
            status=STATUSES[i % len(STATUSES)],
            items=[InvoiceItemSpec(price=f"price-{(i + j) % N_PRICES}", quantity=j + 1) for j in range(ITEMS)],
        )
        for i in range(N_INVOICES)
    }
    desired = Desired(products=products, prices=prices, customers=customers, invoices=invoices)
    live_products = {k: LiveProduct(f"prod_{k}", k, s.name) for k, s in products.items()}
    live_prices = {
        k: LivePrice(f"price_{k}", k, f"prod_{s.product}", s.unit_amount, s.currency) for k, s in prices.items()
    }
    live_customers = {k: LiveCustomer(f"cus_{k}", k, s.name, s.email) for k, s in customers.items()}
    live_invoices = {}
    for k, s in invoices.items():
        items = tuple(
            LiveItem(f"ii_{k}_{ik}", ik, f"price_{it.price}", it.quantity,
                     prices[it.price or ""].unit_amount * it.quantity, "usd",
                     products[prices[it.price or ""].product].name)
            for ik, it in s.keyed_items()
        )  # fmt: skip
        live_invoices[k] = LiveInvoice(
            id=f"in_{k}",
            key=k,
            customer_id=f"cus_{s.customer}",
            status="open" if s.status == "sent" else s.status,
            collection_method="send_invoice",
            days_until_due=30,
            currency="usd",
            send_marker=SEND_DONE if s.status == "sent" else None,
            items=items,
        )
    return desired, Live(live_products, live_prices, live_customers, live_invoices)


def drifted(live: Live) -> Live:
    """~10% drift that plans cleanly: customer emails, draft quantities and metadata, unsent invoices."""
    customers = {
        k: replace(c, email=f"old-{c.email}") if i % 10 == 0 else c for i, (k, c) in enumerate(live.customers.items())
    }
    invoices = {}
    for i, (k, inv) in enumerate(live.invoices.items()):
        if i % 10 == 0 and inv.status == "draft":
            inv = replace(inv, metadata={"stale": "1"}, items=(replace(inv.items[0], quantity=9), *inv.items[1:]))
        elif i % 10 == 2 and inv.send_marker == SEND_DONE:
            inv = replace(inv, send_marker=None)  # sent wanted, not sent yet
        invoices[k] = inv
    return replace(live, customers=customers, invoices=invoices)


def measure(name: str, desired: Desired, live: Live) -> tuple[float, float]:
    gc.collect()
    tracemalloc.start()
    start = time.process_time()
    plan = make_plan(desired, live)
    cpu = time.process_time() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # tracemalloc slows allocation-heavy code: time once more without it
    gc.collect()
    start = time.process_time()
    make_plan(desired, live)
    cpu_plain = time.process_time() - start
    peak_mb = peak / 2**20
    print(
        f"{name:>8}: {len(plan.actions):>6} actions {plan.summary}; planner CPU {cpu_plain:.2f} s "
        f"({cpu:.2f} s under tracemalloc); peak planner memory {peak_mb:.1f} MB"
    )
    return cpu_plain, peak_mb


def main() -> int:
    start = time.process_time()
    desired, live = build()
    print(
        f"built {N_INVOICES} invoices x {ITEMS} items, {N_CUSTOMERS} customers, {N_PRODUCTS} products, "
        f"{N_PRICES} prices in {time.process_time() - start:.2f} s CPU"
    )
    in_sync_plan = make_plan(desired, live)
    if not in_sync_plan.is_empty:
        # The figures would then time a different workload than they claim to.
        print(f"WARNING: the in-sync account plans {len(in_sync_plan.actions)} actions; fix build()")
    results = [measure("in sync", desired, live), measure("drift", desired, drifted(live))]
    ok = in_sync_plan.is_empty and all(cpu < CPU_TARGET_S and mb < MEMORY_TARGET_MB for cpu, mb in results)
    print(f"targets: < {CPU_TARGET_S} s CPU, < {MEMORY_TARGET_MB} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
