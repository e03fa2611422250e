"""The Stripe gateway: the only package of the tool that imports `stripe`.

- client: StripeGateway (pinned API version, request counts, error translation)
- errors: GatewayError and its subclasses
- read: read_live(gateway) -> Live, through paginated list calls
- write: every write the applier sends, and request_for() for dry runs

Importing the package loads nothing: its SDK-free parts (retry, pacing,
errors) serve commands that must start without loading `stripe` (`--help`,
`validate`); import StripeGateway from reconciler.gateway.client.
"""
