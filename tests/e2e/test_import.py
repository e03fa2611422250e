"""`reconciler import` end to end: an account made by hand through the SDK (as
in the Dashboard) -> import -> validate -> plan (only adoptions) -> apply ->
plan (no changes). Real SDK over HTTP against the session sandbox."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
import stripe
import yaml
from cli_runner import invoke
from click.testing import Result

from reconciler.importer.output import HEADER
from reconciler.ownership import ITEM_KEY, KEYS_KEY, OWNER_KEY
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

DAY = 86_400
LIFECYCLE_ROUTES = ("finalize", "send", "pay", "void", "mark_uncollectible")


def run(sandbox: RunningSandbox, *args: str) -> Result:
    conn = ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]
    return invoke([*args, *conn])


def lifecycle_calls(sandbox: RunningSandbox) -> int:
    routes = sandbox.stats()["by_route"]
    return sum(routes.get(f"POST /v1/invoices/{{id}}/{name}", 0) for name in LIFECYCLE_ROUTES)


def invoice_of(client: stripe.StripeClient, customer: str, *items: dict, method: str = "send_invoice") -> str:
    terms = {"days_until_due": 30} if method == "send_invoice" else {}
    invoice = client.v1.invoices.create(params={"customer": customer, "collection_method": method, **terms})
    for item in items:
        client.v1.invoice_items.create(params={"customer": customer, "invoice": invoice.id, **item})
    return invoice.id


def build_by_hand(client: stripe.StripeClient) -> dict[str, str]:
    """What years of Dashboard use leave: same-name customers, an archived price,
    an inactive product, a subscription price, invoices in every state."""
    gold = client.v1.products.create(params={"name": "Gold Special"})
    old = client.v1.prices.create(params={"product": gold.id, "unit_amount": 1000, "currency": "usd"})
    std = client.v1.prices.create(
        params={"product": gold.id, "unit_amount": 1200, "currency": "usd", "lookup_key": "gold_std"}
    )
    client.v1.prices.create(
        params={"product": gold.id, "unit_amount": 900, "currency": "usd", "recurring": {"interval": "month"}}
    )
    legacy = client.v1.products.create(params={"name": "Legacy plan", "active": False})
    client.v1.prices.create(params={"product": legacy.id, "unit_amount": 500, "currency": "eur", "active": False})
    dana = client.v1.customers.create(params={"name": "Dana Scully", "email": "dana@fbi.example"})
    dana2 = client.v1.customers.create(params={"name": "Dana Scully", "email": "dana.scully@example.com"})
    fox = client.v1.customers.create(params={"name": "Fox Mulder", "metadata": {"crm_id": "42"}})
    zoe = client.v1.customers.create(params={"name": "Zoë Ängström", "phone": "+46 8 123 45"})
    nameless = client.v1.customers.create(params={"email": "billing@acme.example"})
    setup = {"amount": 5000, "currency": "usd", "description": "Setup fee"}
    ids = {
        "draft": invoice_of(client, dana2.id, {"pricing": {"price": std.id}}, setup),
        "open": invoice_of(client, fox.id, {"pricing": {"price": std.id}, "quantity": 3}),
        "sent": invoice_of(client, dana.id, {"pricing": {"price": old.id}, "quantity": 2}, setup),
        "paid": invoice_of(client, fox.id, {"pricing": {"price": std.id}, "metadata": {"po": "7"}}),
        "void": invoice_of(client, zoe.id, setup),
        "uncollectible": invoice_of(client, zoe.id, {"pricing": {"price": std.id}}),
        "charged": invoice_of(client, nameless.id, setup, method="charge_automatically"),
    }
    ids["second-dana"], ids["fox"] = dana2.id, fox.id
    for state in ("open", "sent", "paid", "void", "uncollectible", "charged"):
        client.v1.invoices.finalize_invoice(ids[state], params={"auto_advance": False})
    client.v1.invoices.send_invoice(ids["sent"])  # a colleague, in the Dashboard
    client.v1.invoices.pay(ids["paid"], params={"paid_out_of_band": True})
    client.v1.invoices.void_invoice(ids["void"])
    client.v1.invoices.mark_uncollectible(ids["uncollectible"])
    client.v1.prices.update(old.id, params={"active": False})  # replaced by the 12.00 price
    return ids


INVOICE_STATES = ("draft", "open", "sent", "paid", "void", "uncollectible", "charged")


def load(out: Path) -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for path in sorted(out.rglob("*.yaml")):
        for kind, entries in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            merged.setdefault(kind, {}).update(entries)
    return merged


def test_an_account_made_by_hand_imports_adopts_and_then_plans_nothing(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    ids = build_by_hand(stripe_client)
    writes, lifecycle = sandbox.stats()["writes"], lifecycle_calls(sandbox)
    out = tmp_path / "specs"

    imported = run(sandbox, "import", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    assert sandbox.stats()["writes"] == writes  # read-only
    assert "price price_" in imported.output and "a recurring price (it bills subscriptions)" in imported.output
    specs = load(out)
    second_dana = f"dana-scully-{ids['second-dana'][-6:].lower()}"  # same name: the end of her own id
    assert sorted(specs["customers"]) == ["billing-acme.example", "dana-scully", second_dana, "fox-mulder", "zoe-angstrom"]
    assert sorted(specs["products"]) == ["gold-special", "legacy-plan"]
    assert specs["products"]["legacy-plan"]["active"] is False
    assert sorted(specs["prices"]) == ["gold-special-usd", "gold_std", "legacy-plan-eur"]
    assert specs["prices"]["gold-special-usd"]["active"] is False
    by_id = {entry["adopt"]: entry for entry in specs["invoices"].values()}
    assert {state: by_id[ids[state]]["status"] for state in INVOICE_STATES} == {
        "draft": "draft", "open": "open", "sent": "sent", "paid": "paid", "void": "void",
        "uncollectible": "uncollectible", "charged": "open",
    }  # fmt: skip
    assert by_id[ids["sent"]]["items"] == [
        {"price": "gold-special-usd", "quantity": 2},
        {"description": "Setup fee", "amount": 5000, "currency": "usd"},
    ]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml")) == [
        "customers.yaml", "invoices/billing-acme.example.yaml", f"invoices/{second_dana}.yaml", "invoices/dana-scully.yaml",
        "invoices/fox-mulder.yaml", "invoices/zoe-angstrom.yaml", "prices.yaml", "products.yaml",
    ]  # fmt: skip

    validated = invoke(["validate", str(out)], catch_exceptions=True)
    assert validated.exit_code == 0 and validated.output.startswith("OK: "), validated.output

    planned = run(sandbox, "plan", str(out), "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    steps = [line for line in planned.output.splitlines() if line[:2] in ("+ ", "~ ", "- ", "> ") and line[2] != " "]
    assert steps and all(line.startswith("~ adopt ") for line in steps), steps
    n = sum(len(entries) for entries in specs.values())
    assert f"Plan: {n} to adopt, 0 to create, 0 to update, 0 lifecycle steps, 0 to destroy." in planned.output
    assert f"~ adopt invoice {_key_of(specs, ids['sent'])} ({ids['sent']})" in planned.output

    applied = run(sandbox, "apply", str(out), "--yes")
    assert applied.exit_code == 0, applied.output
    again = run(sandbox, "plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    assert lifecycle_calls(sandbox) == lifecycle  # nothing finalized, sent, paid or voided
    for state in INVOICE_STATES:
        invoice = stripe_client.v1.invoices.retrieve(ids[state])
        assert invoice.metadata.to_dict()[OWNER_KEY] == _key_of(specs, ids[state]), state
        assert invoice.status == ("open" if state in ("sent", "charged") else state), state
    draft = stripe_client.v1.invoices.retrieve(ids["draft"])
    assert [line.metadata.to_dict()[ITEM_KEY] for line in draft.lines.data] == ["gold_std", "setup-fee"]
    # Whose crm_id is cannot be told: left out of the spec, so adoption claims no metadata key.
    fox = stripe_client.v1.customers.retrieve(ids["fox"])
    assert fox.metadata.to_dict() == {"crm_id": "42", OWNER_KEY: "fox-mulder"}
    assert "metadata" not in specs["customers"]["fox-mulder"]
    paid = _key_of(specs, ids["paid"])
    left = imported.output.split("Metadata left out of the specs")[1].splitlines()[1:3]
    assert left[0] == f"  customer fox-mulder ({ids['fox']}): crm_id"
    assert left[1].startswith(f"  invoice {paid} ({ids['paid']}) item ii_") and left[1].endswith(": po")


def test_import_metadata_writes_and_names_the_keys_adoption_claims(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    fox = stripe_client.v1.customers.create(params={"name": "Fox Mulder", "metadata": {"crm_id": "42"}})
    out = tmp_path / "specs"
    imported = run(sandbox, "import", "--out", str(out), "--metadata")
    assert imported.exit_code == 0, imported.output
    assert load(out)["customers"]["fox-mulder"]["metadata"] == {"crm_id": "42"}
    assert "Metadata left out" not in imported.output
    assert imported.output.split("Metadata claimed (--metadata)")[1].splitlines()[1] == (
        f"  customer fox-mulder ({fox.id}): crm_id"
    )
    assert run(sandbox, "apply", str(out), "--yes").exit_code == 0
    claimed = stripe_client.v1.customers.retrieve(fox.id).metadata.to_dict()
    assert claimed == {"crm_id": "42", OWNER_KEY: "fox-mulder", KEYS_KEY: "crm_id"}


def _key_of(specs: dict[str, dict], stripe_id: str) -> str:
    return next(key for entries in specs.values() for key, entry in entries.items() if entry.get("adopt") == stripe_id)


def test_importing_twice_gives_the_same_files(sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path) -> None:
    build_by_hand(stripe_client)
    first, second = tmp_path / "a", tmp_path / "b"
    assert run(sandbox, "import", "--out", str(first)).exit_code == 0
    assert run(sandbox, "import", "--out", str(second)).exit_code == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.yaml"))
    assert all((first / f).read_text() == (second / f).read_text() for f in files)


def test_after_adoption_an_import_keeps_the_keys_and_adopts_nothing(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    build_by_hand(stripe_client)
    out = tmp_path / "specs"
    assert run(sandbox, "import", "--out", str(out)).exit_code == 0
    assert run(sandbox, "apply", str(out), "--yes").exit_code == 0
    later = tmp_path / "later"
    result = run(sandbox, "import", "--out", str(later))
    assert result.exit_code == 0, result.output
    assert "0 to adopt (`adopt:` in their specs)" in result.output
    assert {k: sorted(v) for k, v in load(later).items()} == {k: sorted(v) for k, v in load(out).items()}
    planned = run(sandbox, "plan", str(later), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_an_invoice_whose_sending_cannot_be_told_is_imported_open(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    customer = stripe_client.v1.customers.create(params={"name": "Old Client"})
    sent_long_ago = invoice_of(stripe_client, customer.id, {"amount": 100, "currency": "usd", "description": "A"})
    stripe_client.v1.invoices.finalize_invoice(sent_long_ago)
    stripe_client.v1.invoices.send_invoice(sent_long_ago)
    sandbox.advance_clock(40 * DAY)  # its invoice.sent event is past Stripe's 30 days
    out = tmp_path / "specs"
    assert run(sandbox, "import", "--out", str(out)).exit_code == 0
    (entry,) = load(out)["invoices"].values()
    assert entry["status"] == "open"
    assert run(sandbox, "apply", str(out), "--yes").exit_code == 0
    assert run(sandbox, "plan", str(out), "--detailed-exitcode").exit_code == 0
    assert sandbox.stats()["by_route"]["POST /v1/invoices/{id}/send"] == 1


def test_a_folder_with_specs_is_refused_unless_forced(sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path) -> None:
    stripe_client.v1.customers.create(params={"name": "Jenny Rosen"})
    out = tmp_path / "specs"
    out.mkdir()
    (out / "mine.yaml").write_text("customers:\n  jenny:\n    name: Jenny\n")
    (out / "README.md").write_text("notes\n")
    refused = run(sandbox, "import", "--out", str(out))
    assert refused.exit_code == 1
    assert refused.output == (
        f"error: {out} already holds 1 spec file (mine.yaml): import into a new or empty folder, "
        "or pass --force to replace the ones import wrote\n"
    )
    assert sandbox.stats()["by_route"].get("GET /v1/customers") is None  # refused before any read
    forced = run(sandbox, "import", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    # The hand-written spec is never import's to replace: kept, and said so.
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "customers.yaml", "mine.yaml"]
    assert (out / "mine.yaml").read_text() == "customers:\n  jenny:\n    name: Jenny\n"
    assert "  Left as they are: 1 spec file import did not write (mine.yaml); plan reads them with the imported ones." in forced.output
    # A file an earlier import wrote is replaced, or removed when this import does not write it.
    (out / "products.yaml").write_text(HEADER + "products: {}\n")  # as an earlier import of no products
    again = run(sandbox, "import", "--out", str(out), "--force")
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "customers.yaml", "mine.yaml"]
    assert ", replacing 2 spec files an earlier import wrote." in again.output


def test_force_refuses_to_overwrite_a_hand_written_spec_file(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    stripe_client.v1.customers.create(params={"name": "Jenny Rosen"})
    out = tmp_path / "specs"
    out.mkdir()
    (out / "customers.yaml").write_text("customers:\n  jenny:\n    name: Jenny\n")
    refused = run(sandbox, "import", "--out", str(out), "--force")
    assert refused.exit_code == 1
    assert refused.output == (
        f"error: {out}: import would replace 1 spec file it did not write (customers.yaml); --force replaces only "
        "files import wrote: move them away, or import into another folder\n"
    )
    assert (out / "customers.yaml").read_text() == "customers:\n  jenny:\n    name: Jenny\n"
    assert sorted(p.name for p in out.iterdir()) == ["customers.yaml"]


def test_a_failed_read_leaves_no_folder_behind(sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path) -> None:
    stripe_client.v1.customers.create(params={"name": "Jenny Rosen"})
    sandbox.set_faults(fail_routes=[{"method": "GET", "path_prefix": "/v1/invoices", "status": 400}])
    result = run(sandbox, "import", "--out", str(tmp_path / "specs"))
    assert result.exit_code == 1 and result.output.startswith("error: "), result.output
    assert list(tmp_path.iterdir()) == []  # no target, no temporary folder


def test_a_selection_brings_what_it_refers_to(sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path) -> None:
    ids = build_by_hand(stripe_client)
    out = tmp_path / "fox"
    result = run(sandbox, "import", "--out", str(out), "--kind", "invoice", "--customer", ids["fox"])
    assert result.exit_code == 0, result.output
    specs = load(out)
    assert sorted(specs["customers"]) == ["fox-mulder"] and len(specs["invoices"]) == 2
    assert sorted(specs["prices"]) == ["gold_std"] and sorted(specs["products"]) == ["gold-special"]
    assert (
        "  Of these, 1 product, 1 price, 1 customer came along because the selection refers to them: "
        "customer fox-mulder, price gold_std, product gold-special.\n"
    ) in result.output
    planned = run(sandbox, "plan", str(out))
    assert "Plan: 5 to adopt, 0 to create" in planned.output, planned.output


def test_created_after_selects_by_creation_day(sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path) -> None:
    stripe_client.v1.customers.create(params={"name": "Before"})
    now = sandbox.advance_clock(3 * DAY)
    stripe_client.v1.customers.create(params={"name": "After"})
    from datetime import datetime

    day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
    out = tmp_path / "recent"
    assert run(sandbox, "import", "--out", str(out), "--created-after", day).exit_code == 0
    assert sorted(load(out)["customers"]) == ["after"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "cus_nobody"], "error: --customer: no such customer in Stripe: cus_nobody\n"),
        (["--kind", "subscription"], "error: Invalid value for '--kind'"),
        (["--created-after", "last week"], "error: Invalid value for '--created-after'"),
    ],
)
def test_bad_selections_are_one_error_line(sandbox: RunningSandbox, tmp_path: Path, args: list[str], message: str) -> None:
    result = run(sandbox, "import", "--out", str(tmp_path / "specs"), *args)
    assert result.exit_code == 1 and result.output.startswith(message), result.output
    assert not (tmp_path / "specs").exists()


def test_adopting_an_object_another_key_manages_is_refused_naming_both(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    jenny = stripe_client.v1.customers.create(params={"name": "Jenny", "metadata": {OWNER_KEY: "jenny"}})
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "c.yaml").write_text(f"customers:\n  jenny:\n    name: Jenny\n  jenny-2:\n    name: Jenny\n    adopt: {jenny.id}\n")
    result = run(sandbox, "plan", str(specs))
    assert result.exit_code == 1
    assert result.output == (
        f"error: customer jenny-2: cannot adopt {jenny.id}: it is already managed as customer jenny "
        f"(its metadata.reconciler_id); remove `adopt: {jenny.id}` from one of the two\n"
    )
    (specs / "c.yaml").write_text("customers:\n  gone:\n    name: Gone\n    adopt: cus_doesnotexist\n")
    missing = run(sandbox, "plan", str(specs))
    assert missing.exit_code == 1
    assert "customer gone: cannot adopt cus_doesnotexist: no such customer in Stripe" in missing.output


def test_credit_notes_are_imported_by_item_key_adopted_and_then_plan_nothing(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    gold = stripe_client.v1.products.create(params={"name": "Gold Special"})
    std = stripe_client.v1.prices.create(params={"product": gold.id, "unit_amount": 1200, "currency": "usd"})
    fox = stripe_client.v1.customers.create(params={"name": "Fox Mulder"})
    setup = {"amount": 5000, "currency": "usd", "description": "Setup fee"}
    invoice = invoice_of(stripe_client, fox.id, {"pricing": {"price": std.id}, "quantity": 3}, setup)
    opened = stripe_client.v1.invoices.finalize_invoice(invoice)
    lines = {line.description: line.id for line in opened.lines.data}
    by_line = stripe_client.v1.credit_notes.create({"invoice": invoice, "reason": "order_change", "lines": [
        {"type": "invoice_line_item", "invoice_line_item": lines["Gold Special"], "quantity": 1},
        {"type": "invoice_line_item", "invoice_line_item": lines["Setup fee"], "amount": 1000}]})
    voided = stripe_client.v1.credit_notes.create({"invoice": invoice, "amount": 300, "memo": "Oops"})
    stripe_client.v1.credit_notes.void_credit_note(voided.id)
    out = tmp_path / "specs"
    imported = run(sandbox, "import", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    notes = load(out)["credit_notes"]
    invoice_key = _key_of(load(out), invoice)
    assert notes == {
        f"{invoice_key}-cn-01": {"adopt": by_line.id, "invoice": invoice_key, "reason": "order_change", "lines": [
            {"item": "gold-special-usd", "quantity": 1}, {"item": "setup-fee", "amount": 1000}]},
        f"{invoice_key}-cn-02": {"adopt": voided.id, "invoice": invoice_key, "amount": 300, "memo": "Oops",
                                 "status": "void"},
    }
    assert "2 credit notes" in imported.output
    applied = run(sandbox, "apply", str(out), "--yes")
    assert applied.exit_code == 0, applied.output
    assert stripe_client.v1.credit_notes.retrieve(by_line.id).metadata.to_dict()[OWNER_KEY] == f"{invoice_key}-cn-01"
    again = run(sandbox, "plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output
