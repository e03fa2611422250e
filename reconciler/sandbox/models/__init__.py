"""Sandbox models: state and Stripe rules, no HTTP (moto-style)."""
