"""The :class:`Change` type shared by the change-event modules, and how bad each change is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from remit.domain import ChangeEvent, ChangeKind, Severity

AUDIT_LOG = "audit-log"
SNAPSHOT_DIFF = "snapshot-diff"
# Graph's clock and ours disagree a little, and a collection takes a while: an audit record a
# few minutes outside a diff's window still describes the same change.
CLOCK_SKEW = timedelta(minutes=10)
MAX_KEY = 200  # the store keeps keys up to 255 characters


@dataclass(frozen=True, slots=True)
class Change:
    """A :class:`ChangeEvent` with what de-duplication and alerting need to know about it."""

    event: ChangeEvent
    match: str  # the same change seen by the other source has the same match
    severity: Severity
    role: str = ""  # role display name, for role events
    # Snapshot diffs: the change happened after this moment (and before event.occurred_at).
    window_start: datetime | None = None


def change_severity(
    kind: ChangeKind, *, role_rank: int = 0, enabled: bool | None = None
) -> Severity:
    """How bad a change is: a new Global Administrator is critical, a removed role is low.

    ``role_rank`` is 2 for Global Administrator, 1 for other highly privileged roles;
    ``enabled`` is the new state of security defaults.
    """
    if kind is ChangeKind.ROLE_ADDED:
        return (Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)[role_rank]
    if kind is ChangeKind.SECURITY_DEFAULTS_TOGGLED:
        return Severity.LOW if enabled else Severity.HIGH
    return _KIND_SEVERITY[kind]


_KIND_SEVERITY: dict[ChangeKind, Severity] = {
    ChangeKind.ROLE_REMOVED: Severity.LOW,
    ChangeKind.MFA_REMOVED: Severity.HIGH,
    ChangeKind.CA_CREATED: Severity.LOW,
    ChangeKind.CA_CHANGED: Severity.MEDIUM,
    ChangeKind.CA_DISABLED: Severity.HIGH,
    ChangeKind.CA_DELETED: Severity.HIGH,
    ChangeKind.APP_CREDENTIAL_ADDED: Severity.MEDIUM,
}


def bounded_key(key: str) -> str:
    """``key`` itself, or a prefix and a digest when it is too long to store."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"{key[: MAX_KEY - 34]}~{digest}"
