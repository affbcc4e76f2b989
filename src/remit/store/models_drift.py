"""Tables: Change events, drift and access reviews (remit.governance)."""

from __future__ import annotations

from remit.store.models import Base

__all__ = ["Base"]
