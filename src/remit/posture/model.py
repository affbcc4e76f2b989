"""The vocabulary of an assessment: statuses, severities, findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    WARN = "WARN"  # not a breach of the baseline, but worth a technician's look
    MANUAL = "MANUAL"  # Graph cannot tell: a person attests, with evidence
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the control does not apply to this tenant
    ERROR = "ERROR"  # could not be evaluated; the details name the cause


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Resource:
    """Something a finding is about: a user, group, policy, role, app, device, licence."""

    type: (
        str  # user | group | policy | role | application | servicePrincipal | device | sku | tenant
    )
    id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function returns."""

    status: Status
    details: str
    resources: tuple[Resource, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one tenant, with everything a report needs."""

    check_id: str
    control_id: str
    title: str
    status: Status
    severity: Severity
    references: tuple[str, ...]
    details: str
    remediation: str
    resources: tuple[Resource, ...] = field(default=())
