"""Every Stripe write the applier sends, as one table.

`request_for(write, target_id, params)` is a pure function giving the exact
(method, path, params) of a write; `apply --dry-run` prints it and the real
call (`send`) sends it, so the two cannot disagree. Each write carries a
required idempotency key. Params are plain dicts with ids already resolved;
None values are not sent (to clear a field, pass "").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler import ownership
from reconciler.gateway import mapping
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import InvalidRequest
from reconciler.kinds import SIMPLE_KINDS
from reconciler.live.records import LiveInvoice

log = logging.getLogger(__name__)

Write = Literal[
    "create_product", "update_product",
    "create_price", "update_price",
    "create_customer", "update_customer", "delete_customer",
    "create_invoice", "update_invoice", "delete_invoice",
    "create_item", "update_item", "delete_item",
    "create_tax_id", "delete_tax_id",
    "finalize_invoice", "send_invoice", "pay_invoice", "charge_invoice", "void_invoice", "mark_uncollectible",
    "create_credit_note", "update_credit_note", "void_credit_note",
]  # fmt: skip


@dataclass(frozen=True)
class _Route:
    method: Literal["POST", "DELETE"]
    path: str  # "{id}" is the target object's id
    # Params every such call carries, whatever the caller passes: managed
    # invoices never let Stripe's timer advance them; pay is always out of band.
    fixed: dict[str, Any] = field(default_factory=dict)


def _simple_routes() -> dict[str, _Route]:
    """A simple kind's writes, from the registry: create, update (archive is an update), delete."""
    routes: dict[str, _Route] = {}
    for info in SIMPLE_KINDS:
        routes[f"create_{info.name}"] = _Route("POST", info.list_path)
        routes[f"update_{info.name}"] = _Route("POST", f"{info.list_path}/{{id}}")
        if info.destroy == "delete":
            routes[f"delete_{info.name}"] = _Route("DELETE", f"{info.list_path}/{{id}}")
    return routes


ROUTES: dict[str, _Route] = {
    **_simple_routes(),
    "create_price": _Route("POST", "/v1/prices"),
    "update_price": _Route("POST", "/v1/prices/{id}"),
    "create_invoice": _Route("POST", "/v1/invoices", {"auto_advance": False}),
    "update_invoice": _Route("POST", "/v1/invoices/{id}"),
    "delete_invoice": _Route("DELETE", "/v1/invoices/{id}"),
    "create_item": _Route("POST", "/v1/invoiceitems"),
    "update_item": _Route("POST", "/v1/invoiceitems/{id}"),
    "delete_item": _Route("DELETE", "/v1/invoiceitems/{id}"),
    # A customer's tax IDs (docs.stripe.com/api/tax_ids): created under the customer, deleted by their own id.
    "create_tax_id": _Route("POST", "/v1/customers/{id}/tax_ids"),
    "delete_tax_id": _Route("DELETE", "/v1/tax_ids/{id}"),
    "finalize_invoice": _Route("POST", "/v1/invoices/{id}/finalize", {"auto_advance": False}),
    "send_invoice": _Route("POST", "/v1/invoices/{id}/send"),
    "pay_invoice": _Route("POST", "/v1/invoices/{id}/pay", {"paid_out_of_band": True}),
    # A charge of the saved card, the customer not present (https://docs.stripe.com/api/invoices/pay).
    "charge_invoice": _Route("POST", "/v1/invoices/{id}/pay", {"off_session": True}),
    "void_invoice": _Route("POST", "/v1/invoices/{id}/void"),
    "mark_uncollectible": _Route("POST", "/v1/invoices/{id}/mark_uncollectible"),
    "create_credit_note": _Route("POST", "/v1/credit_notes"),
    "update_credit_note": _Route("POST", "/v1/credit_notes/{id}"),
    "void_credit_note": _Route("POST", "/v1/credit_notes/{id}/void"),
}


class UnknownWrite(InvalidRequest):
    def __init__(self, write: str) -> None:
        super().__init__(None, f"no such write: {write!r}")


class MissingTarget(InvalidRequest):
    def __init__(self, write: str) -> None:
        super().__init__(None, f"{write} needs the id of the object it acts on")


def request_for(
    write: Write | str, target_id: str | None, params: dict[str, Any] | None = None
) -> tuple[str, str, dict[str, Any]]:
    """(method, path, params) of one write, without sending it."""
    route = ROUTES.get(write)
    if route is None:
        raise UnknownWrite(write)
    path = route.path
    if "{id}" in path:
        if not target_id:
            raise MissingTarget(write)
        path = path.replace("{id}", target_id)
    return route.method, path, {**(params or {}), **route.fixed}


@dataclass(frozen=True)
class WriteResult:
    """What a write returned: the object's id and, for invoices, its status."""

    id: str
    status: str | None = None
    deleted: bool = False
    # Stripe answered with the stored response of an earlier request under
    # this idempotency key (Idempotent-Replayed): nothing was written now.
    replayed: bool = False
    # The decoded answer, for callers that need another field (e.g. `number`).
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def send(
    gateway: StripeGateway,
    write: Write | str,
    target_id: str | None,
    params: dict[str, Any] | None = None,
    *,
    idempotency_key: str,
) -> WriteResult:
    """Send one write. A delete of an object already gone (a retry after a lost
    answer, or a re-run) counts as done rather than failing the apply."""
    method, path, body = request_for(write, target_id, params)
    try:
        # Not retried here: the applier retries writes under its rate limit.
        reply = gateway.exchange(method, path, body, idempotency_key=idempotency_key, retry=False)
    except InvalidRequest as exc:
        if method == "DELETE" and exc.http_status == 404 and exc.code == "resource_missing" and target_id:
            log.info("%s %s: already gone", write, target_id)
            return WriteResult(id=target_id, deleted=True)
        raise
    data = reply.data
    return WriteResult(
        id=str(data.get("id") or target_id or ""),
        status=data.get("status"),
        deleted=bool(data.get("deleted", False)),
        replayed=reply.replayed,
        data=data,
    )


def fetch_created(
    gateway: StripeGateway, write: Write | str, object_id: str, *, retry: bool = True
) -> dict[str, Any] | None:
    """The object a create_* write made, as it is now; None once deleted
    (a deleted customer answers `deleted: true`, other objects 404)."""
    route = ROUTES.get(write)
    if route is None or "{id}" in route.path or not write.startswith("create_"):
        raise UnknownWrite(write)
    try:
        obj = gateway.request("GET", f"{route.path}/{object_id}", retry=retry)
    except InvalidRequest as exc:
        if exc.http_status == 404 and exc.code == "resource_missing":
            return None
        raise
    return None if obj.get("deleted") else obj


def gone_since_created(obj: dict[str, Any] | None, sent: dict[str, Any]) -> str:
    """Why an object a create made (`sent`: that create's params) no longer
    stands for it: "deleted", "archived", "no longer tagged"; "" if it does.

    Archived counts only when the create did not itself ask for an inactive
    object; the tags are the ownership metadata the create set.
    """
    if obj is None:
        return "deleted"
    if obj.get("active") is False and sent.get("active", True) is not False:
        return "archived"
    wanted = sent.get("metadata") or {}
    have = obj.get("metadata") or {}
    if any(have.get(k) != v for k, v in wanted.items() if k.startswith(ownership.RESERVED_PREFIX)):
        return "no longer tagged"
    return ""


def list_events(
    gateway: StripeGateway, *, type: str = "invoice.sent", created_gte: int | None = None, retry: bool = True
) -> tuple[str, ...]:
    """Ids of the objects of every event of `type` (newest first, each once)."""
    params: dict[str, Any] = {"type": type}
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    seen: dict[str, None] = {}
    for event in gateway.paginate("/v1/events", params, retry=retry):
        obj = (event.get("data") or {}).get("object") or {}
        if obj.get("id"):
            seen.setdefault(str(obj["id"]), None)
    return tuple(seen)


def get_invoice(gateway: StripeGateway, invoice_id: str, *, retry: bool = True, all_lines: bool = False) -> LiveInvoice:
    """One invoice by id (key "" if unmanaged; only its embedded lines, unless `all_lines`)."""
    obj = gateway.request("GET", f"/v1/invoices/{invoice_id}", retry=retry)
    embedded = obj.get("lines") or {}
    lines = list(embedded.get("data") or [])
    if all_lines and embedded.get("has_more"):
        lines = list(gateway.paginate(f"/v1/invoices/{invoice_id}/lines", retry=retry))
    return mapping.invoice(obj, mapping.owner_key(obj) or "", lines)
