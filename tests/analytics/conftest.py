"""Analytics fixtures: the demo purchase orders the network analytics test reads."""

from __future__ import annotations

from ..personas import demo_po  # noqa: F401
