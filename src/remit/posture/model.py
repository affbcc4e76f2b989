"""The vocabulary of an assessment: statuses, severities, findings (shared with the rest of
Remit through :mod:`remit.domain`), and the outcome a check function returns."""

from __future__ import annotations

from dataclasses import dataclass

from remit.domain import Finding, Resource, Severity, Status

__all__ = ["Finding", "Outcome", "Resource", "Severity", "Status"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function returns."""

    status: Status
    details: str
    resources: tuple[Resource, ...] = ()
