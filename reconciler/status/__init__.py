"""`reconciler status`: what is paid, outstanding and overdue, from Stripe's state.

- report: specs + Stripe's invoices (+ the journal's last payment events) -> StatusReport (pure)
- render: text, markdown and JSON
"""
