"""Seeding helpers: objects created through the real SDK (the `stripe_client`
fixture); `key=None` leaves out the ownership tag."""

from __future__ import annotations

from typing import Any

import stripe

from reconciler.ownership import ITEM_KEY, OWNER_KEY


class Seed:
    """Creates objects through the SDK; a key of None leaves out the ownership tag."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    @staticmethod
    def _meta(key: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        meta = dict(extra or {})
        if key is not None:
            meta[OWNER_KEY] = key
        return meta

    def product(self, key: str | None, name: str = "Gold Special", **params: Any) -> stripe.Product:
        meta = self._meta(key, params.pop("metadata", None))
        return self.client.v1.products.create(params={"name": name, "metadata": meta, **params})

    def price(self, key: str | None, product: str, unit_amount: int = 1000, **params: Any) -> stripe.Price:
        meta = self._meta(key, params.pop("metadata", None))
        return self.client.v1.prices.create(
            params={"product": product, "unit_amount": unit_amount, "currency": "usd", "metadata": meta, **params}
        )

    def customer(self, key: str | None, name: str = "Jenny Rosen", **params: Any) -> stripe.Customer:
        meta = self._meta(key, params.pop("metadata", None))
        return self.client.v1.customers.create(params={"name": name, "metadata": meta, **params})

    def invoice(self, key: str | None, customer: str, **params: Any) -> stripe.Invoice:
        meta = self._meta(key, params.pop("metadata", None))
        return self.client.v1.invoices.create(
            params={
                "customer": customer,
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "auto_advance": False,
                "metadata": meta,
                **params,
            }
        )

    def item(
        self, invoice: stripe.Invoice | str, item_key: str | None, *, price: str | None = None, **params: Any
    ) -> stripe.InvoiceItem:
        invoice_id = invoice if isinstance(invoice, str) else invoice.id
        customer = params.pop("customer", None)
        if customer is None:
            customer = self.client.v1.invoices.retrieve(invoice_id).customer
        meta = dict(params.pop("metadata", None) or {})
        if item_key is not None:
            meta[ITEM_KEY] = item_key
        body: dict[str, Any] = {"customer": customer, "invoice": invoice_id, "metadata": meta, **params}
        if price is not None:
            body["pricing"] = {"price": price}
        return self.client.v1.invoice_items.create(params=body)
