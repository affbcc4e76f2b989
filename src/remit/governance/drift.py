"""Approval drift: the privileged access a tenant has, against the access its control map approved.

:func:`approval_drift` compares every directory-role holder of a snapshot (active or eligible,
directly or through a group; :func:`remit.posture.views.role_holders`) with the map's
``privileged_access`` and ``emergency_accounts`` and reports, as :class:`DriftFinding` s:

- ``unapproved-privileged``: a principal holds a role no approval covers;
- ``approval-expired``: every approval covering it ended (``until`` before today) but the
  access did not;
- ``active-where-eligible``: a permanent active assignment where only eligible was approved
  (an active assignment that PIM made by activating an eligible one is fine);
- ``emergency-accounts``: a designated emergency account is missing, disabled or no longer an
  active Global Administrator, or fewer than 2 work, or more than 3 are designated;
- ``contractor-ended``: a principal whose approvals carry a ``contractor_until`` date in the
  past still holds a role.

Principals are matched by object id or UPN (service principals also by appId), roles by display
name or template id, case-insensitively. A group approved for a role covers the access its
members hold through it (the group itself must be approved; a member joining it shows up as a
``role-added`` change event); a designated emergency account counts as approved for an active
Global Administrator assignment. Each finding says who, which role and since when
(the PIM schedule's start, else the audit event that added it, else unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from remit.domain import DriftFinding, DriftRule, Resource, Severity
from remit.governance.model import AccessKind, ApprovedAccess, ControlMapDoc
from remit.governance.principals import Directory, Roles, Starts, role_severity_rank
from remit.posture.data import TenantData
from remit.posture.views import GLOBAL_ADMINISTRATOR, RoleHolder, role_holders

EMERGENCY_MIN = 2
EMERGENCY_MAX = 3

_SEVERITY: dict[DriftRule, tuple[Severity, Severity, Severity]] = {
    # (Global Administrator, other highly privileged roles, any other role)
    DriftRule.UNAPPROVED_PRIVILEGED: (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM),
    DriftRule.APPROVAL_EXPIRED: (Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM),
    DriftRule.ACTIVE_NOT_ELIGIBLE: (Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM),
    DriftRule.CONTRACTOR_ENDED: (Severity.CRITICAL, Severity.HIGH, Severity.HIGH),
}


def rule_severity(rule: DriftRule, role_template: str) -> Severity:
    """How bad a finding of ``rule`` is for a role (emergency-account findings set their own)."""
    if rule is DriftRule.EMERGENCY_ACCOUNTS:
        return Severity.HIGH
    ga, high, other = _SEVERITY[rule]
    return (other, high, ga)[role_severity_rank(role_template)]


def tenant_id_of(data: TenantData) -> str:
    """The tenant id from the snapshot's ``organization`` (empty when it was not collected)."""
    for org in data.optional_collection("organization") or []:
        if org.get("id"):
            return str(org["id"])
    return ""


@dataclass(frozen=True, slots=True)
class _Holding:
    """Everything one principal holds of one role: one or more holder rows."""

    principal_id: str
    template: str
    rows: tuple[RoleHolder, ...]


def approval_drift(
    data: TenantData, approved: ControlMapDoc, now: datetime, *, tenant_id: str | None = None
) -> list[DriftFinding]:
    """Drift findings of a snapshot against the approved map, as of ``now`` (UTC day).

    Raises :class:`remit.posture.data.MissingData` when the role assignments were not collected.
    """
    tenant = tenant_id if tenant_id is not None else tenant_id_of(data)
    today = now.date()
    directory = Directory(data)
    roles = Roles(data)
    starts = Starts(data, roles)
    holders = role_holders(data)
    emergency = _emergency_ids(approved.emergency_accounts, directory)
    findings: list[DriftFinding] = []
    for holding in _holdings(holders):
        finding = _judge(holding, approved, emergency, directory, roles, starts, today, tenant)
        if finding is not None:
            findings.append(finding)
    findings.extend(_emergency_findings(approved, holders, directory, tenant))
    return sorted(findings, key=_order)


def _holdings(holders: Iterable[RoleHolder]) -> list[_Holding]:
    grouped: dict[tuple[str, str], list[RoleHolder]] = {}
    for holder in holders:
        grouped.setdefault((holder.principal_id, holder.role_template_id), []).append(holder)
    return [_Holding(p, t, tuple(rows)) for (p, t), rows in grouped.items()]


def _matches(access: ApprovedAccess, names: set[str], template: str, roles: Roles) -> bool:
    if access.principal.strip().lower() not in names:
        return False
    return roles.template(access.role) == template or access.role.strip().lower() == template


def _judge(
    holding: _Holding,
    approved: ControlMapDoc,
    emergency: set[str],
    directory: Directory,
    roles: Roles,
    starts: Starts,
    today: date,
    tenant: str,
) -> DriftFinding | None:
    names = directory.names_of(holding.principal_id)
    mine = [a for a in approved.privileged_access if a.principal.strip().lower() in names]
    own = [a for a in mine if _matches(a, names, holding.template, roles)]
    is_emergency_ga = holding.principal_id in emergency and holding.template == GLOBAL_ADMINISTRATOR
    role = roles.name(holding.template)
    who = directory.label(holding.principal_id)

    def covering(row: RoleHolder) -> list[ApprovedAccess]:
        """Approvals of this path: the principal's own, or the group's it holds the role by."""
        if not row.via_group:
            return own
        group = directory.names_of(row.via_group)
        return own + [
            a for a in approved.privileged_access if _matches(a, group, holding.template, roles)
        ]

    def finding(
        rule: DriftRule, details: str, rows: Sequence[RoleHolder] = holding.rows
    ) -> DriftFinding:
        return DriftFinding(
            rule=rule,
            tenant_id=tenant,
            principal=directory.resource(holding.principal_id, holding.rows[0].principal_type),
            role=role,
            since=_earliest(starts.since(row) for row in rows),
            details=details,
            severity=rule_severity(rule, holding.template),
        )

    ended = [a.contractor_until for a in mine if a.contractor_until is not None]
    if ended and max(ended) < today:
        return finding(
            DriftRule.CONTRACTOR_ENDED,
            f"{who} is a contractor whose engagement ended on {max(ended).isoformat()} but "
            f"still holds {role} ({_how(holding.rows, directory)}); remove the assignment, or "
            "extend the engagement in the control map",
        )
    if is_emergency_ga:
        return None
    unapproved = [row for row in holding.rows if not covering(row)]
    if unapproved:
        return finding(
            DriftRule.UNAPPROVED_PRIVILEGED,
            f"{who} holds {role} ({_how(unapproved, directory)}) and the control map does not "
            "approve it; remove the assignment, or approve it in the tenant's privileged access",
            unapproved,
        )
    expired = [row for row in holding.rows if not _valid(covering(row), today)]
    if expired:
        until = max(a.until for row in expired for a in covering(row) if a.until is not None)
        return finding(
            DriftRule.APPROVAL_EXPIRED,
            f"the approval for {who} to hold {role} ended on {until.isoformat()} but the access "
            f"did not ({_how(expired, directory)}); remove the assignment, or renew the approval",
            expired,
        )
    permanent = [
        row
        for row in holding.rows
        if row.kind == "active"
        and row.permanent
        and row.assignment_type != "Activated"
        and all(a.kind is AccessKind.ELIGIBLE for a in _valid(covering(row), today))
    ]
    if permanent:
        return finding(
            DriftRule.ACTIVE_NOT_ELIGIBLE,
            f"{who} holds {role} as a permanent active assignment "
            f"({_how(permanent, directory)}), but only eligible (PIM) access was approved; "
            "convert it to an eligible assignment",
            permanent,
        )
    return None


def _valid(approvals: Sequence[ApprovedAccess], today: date) -> list[ApprovedAccess]:
    return [a for a in approvals if a.until is None or a.until >= today]


def _how(rows: Sequence[RoleHolder], directory: Directory) -> str:
    """``active, permanent``, ``eligible until 2027-01-31``, ``active through group X``, ..."""
    parts: list[str] = []
    for row in rows:
        text = row.kind
        if row.kind == "active" and row.assignment_type == "Activated":
            text = "active through PIM activation"
        elif row.permanent:
            text += ", permanent"
        elif row.end is not None:
            text += f" until {row.end.date().isoformat()}"
        if row.via_group:
            text += f", through group {directory.label(row.via_group)}"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts)


def _earliest(moments: Iterable[datetime | None]) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def _emergency_ids(refs: Sequence[str], directory: Directory) -> set[str]:
    return {uid for ref in refs if (uid := directory.user_id(ref)) is not None}


def _emergency_findings(
    approved: ControlMapDoc, holders: Sequence[RoleHolder], directory: Directory, tenant: str
) -> list[DriftFinding]:
    ga_active = {
        h.principal_id
        for h in holders
        if h.role_template_id == GLOBAL_ADMINISTRATOR and h.kind == "active"
    }
    designated = approved.emergency_accounts
    out: list[DriftFinding] = []
    working = 0

    def finding(principal: Resource, details: str, severity: Severity) -> DriftFinding:
        return DriftFinding(
            rule=DriftRule.EMERGENCY_ACCOUNTS,
            tenant_id=tenant,
            principal=principal,
            role="Global Administrator" if principal.type != "tenant" else "",
            since=None,
            details=details,
            severity=severity,
        )

    for ref in designated:
        uid = directory.user_id(ref)
        if uid is None:
            out.append(
                finding(
                    Resource("user", ref, ref),
                    f"designated emergency account {ref} does not exist in the tenant; create "
                    "it again or update the designated emergency accounts",
                    Severity.HIGH,
                )
            )
            continue
        who = directory.resource(uid)
        if uid not in ga_active:
            out.append(
                finding(
                    who,
                    f"designated emergency account {who.name} is no longer an active Global "
                    "Administrator; assign the role permanently, or update the designation",
                    Severity.HIGH,
                )
            )
        elif not directory.enabled(uid):
            out.append(
                finding(
                    who,
                    f"designated emergency account {who.name} is disabled and cannot sign in; "
                    "enable it",
                    Severity.HIGH,
                )
            )
        else:
            working += 1
    tenant_resource = Resource("tenant", tenant, "emergency accounts")
    if not designated:
        out.append(
            finding(
                tenant_resource,
                f"no emergency accounts are designated; designate {EMERGENCY_MIN} to "
                f"{EMERGENCY_MAX} cloud-only Global Administrator accounts excluded from "
                "conditional access",
                Severity.HIGH,
            )
        )
    elif working < EMERGENCY_MIN:
        out.append(
            finding(
                tenant_resource,
                f"only {working} of {len(designated)} designated emergency accounts work; keep "
                f"at least {EMERGENCY_MIN}",
                Severity.HIGH,
            )
        )
    if len(designated) > EMERGENCY_MAX:
        out.append(
            finding(
                tenant_resource,
                f"{len(designated)} emergency accounts are designated; keep {EMERGENCY_MIN} to "
                f"{EMERGENCY_MAX} (each one is a standing Global Administrator)",
                Severity.MEDIUM,
            )
        )
    return out


_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}


def _order(finding: DriftFinding) -> tuple[int, str, str, str]:
    return (
        _SEVERITY_ORDER[finding.severity],
        finding.rule.value,
        finding.principal.name.lower(),
        finding.role,
    )
