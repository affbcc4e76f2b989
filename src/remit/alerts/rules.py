"""Which alerts go where: matching rules to alerts, quiet hours and de-duplication windows.

Pure functions over stored rules (:class:`~remit.store.alerts.RuleInfo`) and
:class:`~remit.domain.Alert`; the outbox (:mod:`remit.alerts.outbox`) writes what they decide.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from remit.alerts.quiet import QuietWindow
from remit.domain import Alert, Severity
from remit.errors import InvalidInput
from remit.store.alerts import RuleInfo

SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}
DEFAULT_DEDUPE_HOURS = 24.0


def parse_severity(text: str, *, option: str = "--min-severity") -> Severity:
    try:
        return Severity(text.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise InvalidInput(f"{option} '{text}': use one of {choices}") from None


def rule_matches(rule: RuleInfo, alert: Alert) -> bool:
    """Kind pattern, minimum severity and tenant scope all match."""
    if SEVERITY_RANK[Severity(alert.severity)] < SEVERITY_RANK[rule.min_severity]:
        return False
    if not any(fnmatch.fnmatchcase(alert.kind, pattern) for pattern in rule.kinds):
        return False
    return rule.tenants is None or alert.tenant_id.lower() in rule.tenants


@dataclass(frozen=True, slots=True)
class Route:
    """Where one alert goes on one channel, decided by the rules that send it there."""

    channel: str
    rules: tuple[str, ...]
    due: datetime  # now, or the end of the quiet hours it is held for
    held_until: datetime | None
    dedupe_hours: float  # the shortest window of the rules (0: no de-duplication)


def release_time(rule: RuleInfo, alert: Alert, now: datetime) -> datetime | None:
    """When quiet hours hold ``alert`` until under ``rule`` (critical alerts are never held)."""
    if rule.quiet_hours is None or Severity(alert.severity) is Severity.CRITICAL:
        return None
    return QuietWindow.parse(rule.quiet_hours, rule.timezone).release_at(now)


def route(rules: Iterable[RuleInfo], alert: Alert, now: datetime) -> dict[str, Route]:
    """Channel name -> how ``alert`` goes there. Several rules naming one channel make one
    route: due as early as any of them allows, de-duplicated by the shortest window."""
    routes: dict[str, Route] = {}
    for rule in rules:
        if not rule_matches(rule, alert):
            continue
        held = release_time(rule, alert, now)
        due = held or now
        for channel in rule.channels:
            previous = routes.get(channel)
            if previous is None:
                routes[channel] = Route(channel, (rule.name,), due, held, rule.dedupe_hours)
                continue
            earlier = due if due < previous.due else previous.due
            routes[channel] = Route(
                channel,
                (*previous.rules, rule.name),
                earlier,
                None if earlier <= now else earlier,
                min(previous.dedupe_hours, rule.dedupe_hours),
            )
    return routes
