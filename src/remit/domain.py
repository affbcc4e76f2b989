"""Plain types shared by every layer. Nothing here does I/O or imports the rest of Remit."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class AuthKind(enum.StrEnum):
    CLIENT_SECRET = "client_secret"  # noqa: S105 - a kind of credential, not a secret
    CERTIFICATE = "certificate"


@dataclass(frozen=True, slots=True)
class TenantCredentials:
    """What it takes to get an app-only token for one customer tenant.

    ``secret`` is the client secret, or for certificates the PEM text holding the private key
    and the certificate. It is kept in memory only; at rest it is encrypted by the store.
    """

    tenant_id: str
    client_id: str
    auth_kind: AuthKind
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.tenant_id or not self.client_id or not self.secret:
            raise ValueError("tenant_id, client_id and secret must all be set")


class CollectionStatus(enum.StrEnum):
    """Outcome of one inventory collection."""

    COMPLETE = "complete"  # every endpoint answered
    PARTIAL = "partial"  # some endpoints failed; what failed is recorded
    FAILED = "failed"  # nothing usable (no token, tenant unreachable)


class EndpointOutcome(enum.StrEnum):
    OK = "ok"
    MISSING_PERMISSION = "missing_permission"
    LICENSE_REQUIRED = "license_required"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class EndpointResult:
    """What happened when one Graph resource was collected for a snapshot."""

    key: str  # the snapshot key, a Graph path relative to /v1.0/
    outcome: EndpointOutcome
    items: int | None = None  # number of objects for collections, None for single objects
    detail: str = ""  # the actionable message for anything but OK
    permission: str | None = None  # the Graph permission that is missing, if that is why
    license: str | None = None  # the licence that is missing, if that is why


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Request accounting for one endpoint (a Graph path template)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers, top level and inside $batch
    errors: int = 0  # 5xx answers, dropped connections, truncated bodies
    bytes_received: int = 0
    bytes_sent: int = 0


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A stored configuration snapshot of one tenant (metadata only)."""

    id: int
    tenant_id: str
    status: CollectionStatus
    started_at: datetime
    finished_at: datetime
    content_hash: str
    size_bytes: int
    stored_bytes: int
    endpoints: tuple[EndpointResult, ...] = ()
    http_requests: int = 0
    error: str | None = None  # why the collection failed, for FAILED (and some PARTIAL)


# --- posture findings (made by remit.posture, stored by remit.store, shown everywhere) ---


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


# --- governance: drift, change events, alerts (made by remit.governance, sent by remit.alerts) ---


class ChangeKind(enum.StrEnum):
    """What changed in a tenant, from the audit log or from comparing two snapshots."""

    ROLE_ADDED = "role-added"
    ROLE_REMOVED = "role-removed"
    MFA_REMOVED = "mfa-removed"  # an admin lost authentication methods
    CA_CREATED = "ca-created"
    CA_CHANGED = "ca-changed"
    CA_DISABLED = "ca-disabled"
    CA_DELETED = "ca-deleted"
    SECURITY_DEFAULTS_TOGGLED = "security-defaults-toggled"
    APP_CREDENTIAL_ADDED = "app-credential-added"


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One change to a tenant: who did what, to what, when; explained when linked to a ticket."""

    key: str  # stable de-duplication key: the same change seen twice is one event
    tenant_id: str
    kind: ChangeKind
    occurred_at: datetime
    actor: str  # UPN or app name from the audit log; "" when only a snapshot diff saw it
    target: Resource
    details: str
    source: str  # "audit-log" or "snapshot-diff"
    ticket: str | None = None  # the change ticket that explains it (None: unexplained drift)


class DriftRule(enum.StrEnum):
    """Ways the tenant's privileged access differs from what was approved."""

    UNAPPROVED_PRIVILEGED = "unapproved-privileged"  # holds a role nobody approved
    APPROVAL_EXPIRED = "approval-expired"  # the approval ended but the access did not
    ACTIVE_NOT_ELIGIBLE = (
        "active-where-eligible"  # permanent active where only eligible was approved
    )
    EMERGENCY_ACCOUNTS = "emergency-accounts"  # designated accounts missing, or not 2 to 3
    CONTRACTOR_ENDED = "contractor-ended"  # a contractor past their end date is still privileged


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """One difference between approved and actual privileged access, with who, what and since."""

    rule: DriftRule
    tenant_id: str
    principal: Resource  # the user (or group, service principal) concerned
    role: str  # role display name ("" for rules about the set of emergency accounts)
    since: datetime | None  # when the access started, when known
    details: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class Alert:
    """Something to tell people about, independent of how it is delivered."""

    kind: str  # "drift.unapproved-privileged", "change.role-added", "posture.fail", ...
    severity: Severity
    tenant_id: str
    tenant_name: str
    title: str  # one line
    text: str  # a few lines a technician can act on
    dedupe_key: str  # the same key within the rule's window is delivered once
    occurred_at: datetime
    # machine-readable detail (the webhook JSON carries it)
    data: dict[str, object] = field(default_factory=dict)
