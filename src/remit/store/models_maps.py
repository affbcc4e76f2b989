"""Tables: Control maps, baselines and their revisions (remit.governance)."""

from __future__ import annotations

from remit.store.models import Base

__all__ = ["Base"]
