"""Tables: Alert rules, channels and the delivery outbox (remit.alerts)."""

from __future__ import annotations

from remit.store.models import Base

__all__ = ["Base"]
