"""The URL table: method + path template -> handler name and SDK params class."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. "/v1/invoices/{id}/finalize"
    handler: str  # a function name in reconciler.sandbox.responses
    params: str  # a stripe.params TypedDict name
    label: str = field(init=False, compare=False)  # "POST /v1/invoices/{id}/finalize"

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.method} {self.template}")

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
    Route("POST", "/v1/customers/{id}/balance_transactions", "create_balance_transaction",
          "CustomerBalanceTransactionCreateParams"),
    Route("GET", "/v1/customers/{id}/balance_transactions", "list_balance_transaction",
          "CustomerBalanceTransactionListParams"),
    *_crud("/v1/tax_rates", "tax_rate", "TaxRate", delete=False),
    *_crud("/v1/coupons", "coupon", "Coupon"),
    *_crud("/v1/invoices", "invoice", "Invoice"),
    Route("POST", "/v1/invoices/{id}/finalize", "finalize_invoice", "InvoiceFinalizeInvoiceParams"),
    Route("POST", "/v1/invoices/{id}/send", "send_invoice", "InvoiceSendInvoiceParams"),
    Route("POST", "/v1/invoices/{id}/void", "void_invoice", "InvoiceVoidInvoiceParams"),
    Route("POST", "/v1/invoices/{id}/mark_uncollectible", "mark_uncollectible_invoice",
          "InvoiceMarkUncollectibleParams"),
    Route("POST", "/v1/invoices/{id}/pay", "pay_invoice", "InvoicePayParams"),
    Route("GET", "/v1/invoices/{id}/lines", "list_invoice_lines", "InvoiceLineItemListParams"),
    *_crud("/v1/invoiceitems", "invoiceitem", "InvoiceItem"),
    Route("POST", "/v1/payment_methods/{id}/attach", "attach_payment_method", "PaymentMethodAttachParams"),
    Route("GET", "/v1/payment_methods", "list_payment_method", "PaymentMethodListParams"),
    Route("GET", "/v1/payment_methods/{id}", "retrieve_payment_method", "PaymentMethodRetrieveParams"),
    Route("GET", "/v1/customers/{id}/payment_methods", "list_customer_payment_method",
          "CustomerPaymentMethodListParams"),
    Route("POST", "/v1/customers/{id}/tax_ids", "create_customer_tax_id", "CustomerTaxIdCreateParams"),
    Route("GET", "/v1/customers/{id}/tax_ids", "list_customer_tax_id", "CustomerTaxIdListParams"),
    Route("GET", "/v1/customers/{id}/tax_ids/{id}", "retrieve_customer_tax_id", "CustomerTaxIdRetrieveParams"),
    Route("DELETE", "/v1/customers/{id}/tax_ids/{id}", "delete_customer_tax_id", "CustomerTaxIdDeleteParams"),
    *_crud("/v1/tax_ids", "tax_id", "TaxId", update=False),
    Route("GET", "/v1/payment_intents/{id}", "retrieve_payment_intent", "PaymentIntentRetrieveParams"),
    Route("GET", "/v1/charges/{id}", "retrieve_charge", "ChargeRetrieveParams"),
    Route("POST", "/v1/refunds", "create_refund", "RefundCreateParams"),
    Route("GET", "/v1/refunds/{id}", "retrieve_refund", "RefundRetrieveParams"),
    # The preview paths before `{id}`: the first template that matches a path wins.
    Route("GET", "/v1/credit_notes/preview", "preview_credit_note", "CreditNotePreviewParams"),
    Route("GET", "/v1/credit_notes/preview/lines", "preview_credit_note_lines", "CreditNotePreviewLinesListParams"),
    *_crud("/v1/credit_notes", "credit_note", "CreditNote", delete=False),
    Route("POST", "/v1/credit_notes/{id}/void", "void_credit_note", "CreditNoteVoidCreditNoteParams"),
    Route("GET", "/v1/credit_notes/{id}/lines", "list_credit_note_lines", "CreditNoteLineItemListParams"),
    Route("GET", "/v1/account", "retrieve_account", "AccountRetrieveCurrentParams"),
    Route("GET", "/v1/events", "list_event", "EventListParams"),
    Route("GET", "/v1/invoice_payments", "list_invoice_payment", "InvoicePaymentListParams"),
    Route("GET", "/v1/invoice_payments/{id}", "retrieve_invoice_payment", "InvoicePaymentRetrieveParams"),
    Route("GET", "/v1/events/{id}", "retrieve_event", "EventRetrieveParams"),
    *_crud("/v1/webhook_endpoints", "webhook_endpoint", "WebhookEndpoint"),
]

# Templates by segment count, each as (segments, {method: route}); "{id}" matches
# any one non-empty segment. Matching splits the path once instead of trying
# every route's regular expression.
_BY_LENGTH: dict[int, list[tuple[tuple[str, ...], dict[str, Route]]]] = {}
for _route in ROUTES:
    _segments = tuple(_route.template.split("/"))
    _candidates = _BY_LENGTH.setdefault(len(_segments), [])
    for _known, _methods in _candidates:
        if _known == _segments:
            _methods[_route.method] = _route
            break
    else:
        _candidates.append((_segments, {_route.method: _route}))


def match(method: str, path: str) -> tuple[Route, list[str]] | None | bool:
    """(route, path ids); False if the path exists under another method; None if unknown."""
    parts = path.split("/")
    for segments, methods in _BY_LENGTH.get(len(parts), ()):
        ids = []
        for want, got in zip(segments, parts, strict=False):
            if want == "{id}":
                if not got:
                    break
                ids.append(got)
            elif want != got:
                break
        else:
            route = methods.get(method)
            return (route, ids) if route is not None else False
    return None
