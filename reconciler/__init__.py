"""reconciler: invoice-as-code for Stripe."""

__version__ = "0.1.0"
