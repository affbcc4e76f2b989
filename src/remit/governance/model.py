"""The control map of a tenant: who does what for each control, recovery objectives per
workload, the privileged access that was approved, and accepted exceptions.

One shape serves every layer: an MSP-wide default baseline, tiers ("standard", "regulated"),
and a tenant's own overrides are each a :class:`ControlMapDoc`; :mod:`remit.governance.layers`
merges them into the tenant's effective map. Documents round-trip through YAML
(:mod:`remit.governance.yamlio`) for review in git.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImplementationStatus(enum.StrEnum):
    IMPLEMENTED = "implemented"
    PARTIAL = "partial"
    PLANNED = "planned"
    NOT_APPLICABLE = "not-applicable"
    EXCEPTION = "exception"  # an accepted exception covers it (see exceptions)


class Raci(_Doc):
    """People or teams, e.g. "MSP service desk", "ana@contoso.com (client IT)"."""

    responsible: list[str] = []
    accountable: str = ""
    consulted: list[str] = []
    informed: list[str] = []


class ControlEntry(_Doc):
    """How one catalogue control is run for the tenant."""

    raci: Raci = Raci()
    status: ImplementationStatus = ImplementationStatus.PLANNED
    evidence: str = ""  # where the evidence comes from: "Remit check MS.AAD.7.1", "ticket export"


class Workload(enum.StrEnum):
    EXCHANGE = "exchange"
    ONEDRIVE = "onedrive"
    SHAREPOINT = "sharepoint"
    TEAMS = "teams"
    ENTRA_ID = "entra-id"


class RecoveryObjective(_Doc):
    """RTO and RPO (ISO-8601 durations such as PT4H, P1D) with the business owner who set them."""

    rto: str
    rpo: str
    owner: str


class AccessKind(enum.StrEnum):
    ELIGIBLE = "eligible"  # through PIM, activated when needed
    ACTIVE = "active"  # permanently or time-bound active


class ApprovedAccess(_Doc):
    """One principal approved to hold one directory role."""

    principal: str  # user principal name, or object id for groups and service principals
    role: str  # role display name ("Global Administrator") or template id
    kind: AccessKind = AccessKind.ELIGIBLE
    until: date | None = None  # the approval ends; None: until revoked
    contractor_until: date | None = None  # a contractor's engagement end date
    approved_by: str = ""
    ticket: str = ""


class ControlException(_Doc):
    """An accepted deviation: it counts only until it expires and only when signed off."""

    control: str  # a catalogue control id or a check id
    reason: str
    compensating_control: str = ""
    expires: date
    signed_off_by: str = ""  # the client's approver
    signed_off_at: datetime | None = None


class ControlMapDoc(_Doc):
    """A control map or one layer of it (a baseline, a tier, a tenant's overrides).

    Every section is optional so a layer only says what it changes: ``controls`` and
    ``objectives`` merge by key over the layers below; the tenant-specific lists (privileged
    access, emergency accounts, exceptions) normally live in the tenant's own layer.
    """

    controls: dict[str, ControlEntry] = Field(default_factory=dict)
    objectives: dict[Workload, RecoveryObjective] = Field(default_factory=dict)
    privileged_access: list[ApprovedAccess] = Field(default_factory=list)
    emergency_accounts: list[str] = Field(default_factory=list)  # UPNs or object ids
    exceptions: list[ControlException] = Field(default_factory=list)
