"""Live Stripe state: typed records read through the gateway."""
