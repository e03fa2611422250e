"""The URL table: method + path template -> handler name and SDK params class."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. "/v1/invoices/{id}/finalize"
    handler: str  # a function name in reconciler.sandbox.responses
    params: str  # a stripe.params TypedDict name

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "DELETE")


def _crud(path: str, name: str, sdk: str, *, delete: bool = True, update: bool = True) -> list[Route]:
    routes = [
        Route("POST", path, f"create_{name}", f"{sdk}CreateParams"),
        Route("GET", path, f"list_{name}", f"{sdk}ListParams"),
        Route("GET", path + "/{id}", f"retrieve_{name}", f"{sdk}RetrieveParams"),
    ]
    if update:
        routes.append(Route("POST", path + "/{id}", f"update_{name}", f"{sdk}UpdateParams"))
    if delete:
        routes.append(Route("DELETE", path + "/{id}", f"delete_{name}", f"{sdk}DeleteParams"))
    return routes


ROUTES: list[Route] = [
    *_crud("/v1/products", "product", "Product"),
    *_crud("/v1/prices", "price", "Price", delete=False),
    *_crud("/v1/customers", "customer", "Customer"),
    *_crud("/v1/invoices", "invoice", "Invoice"),
    Route("POST", "/v1/invoices/{id}/finalize", "finalize_invoice", "InvoiceFinalizeInvoiceParams"),
    Route("POST", "/v1/invoices/{id}/send", "send_invoice", "InvoiceSendInvoiceParams"),
    Route("POST", "/v1/invoices/{id}/void", "void_invoice", "InvoiceVoidInvoiceParams"),
    Route("POST", "/v1/invoices/{id}/mark_uncollectible", "mark_uncollectible_invoice",
          "InvoiceMarkUncollectibleParams"),
    Route("POST", "/v1/invoices/{id}/pay", "pay_invoice", "InvoicePayParams"),
    Route("GET", "/v1/invoices/{id}/lines", "list_invoice_lines", "InvoiceLineItemListParams"),
    *_crud("/v1/invoiceitems", "invoiceitem", "InvoiceItem"),
    Route("GET", "/v1/events", "list_event", "EventListParams"),
    Route("GET", "/v1/events/{id}", "retrieve_event", "EventRetrieveParams"),
    *_crud("/v1/webhook_endpoints", "webhook_endpoint", "WebhookEndpoint"),
]

_COMPILED = [
    (route, re.compile("^" + re.sub(r"\\\{id\\\}", r"([^/]+)", re.escape(route.template)) + "$"))
    for route in ROUTES
]


def match(method: str, path: str) -> tuple[Route, list[str]] | None | bool:
    """(route, path ids); False if the path exists under another method; None if unknown."""
    path_known = False
    for route, pattern in _COMPILED:
        found = pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, list(found.groups())
        path_known = True
    return False if path_known else None
