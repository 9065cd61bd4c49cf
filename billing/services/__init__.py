"""Billing services (being split by subsystem; see the next commit)."""

from billing.services.plans import *  # noqa: F403
