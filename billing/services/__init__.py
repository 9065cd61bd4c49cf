"""Billing writes, one module per subsystem; import each name from its module:

- `plans`: `organization_change_plan`, the one service that applies a plan change and all
  its consequences; every other module ends in it.
- `checkout`: an admin buys a plan and add-ons (simulated, or through Stripe Checkout).
- `dunning`: failed and recovered payments, the grace period, cancellation.
- `webhooks`: Stripe events, recorded once and applied once.
- `network`: the network root sets how linked organizations are billed.
- `overrides`: platform staff set a plan by hand.
"""
