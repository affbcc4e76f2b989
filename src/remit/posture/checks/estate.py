"""Checks: (placeholder, filled in by the posture work)."""

from __future__ import annotations

from remit.posture.engine import CheckFn

CHECKS: dict[str, CheckFn] = {}
