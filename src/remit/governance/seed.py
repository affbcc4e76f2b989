"""Seeding a tenant's approvals from what it has now: what an MSP does at onboarding, so that
drift starts from a known state.

Every directory-role holder at tenant scope in the snapshot becomes an approval, as seen: a
permanently (or time-bound) assigned active role is approved as active, a PIM eligibility or an
activation of one as eligible. A role held through a role-assignable group is approved for the
group (by object id), which its members hold it through. The emergency-access accounts are the
unlicensed, cloud-only, permanent active Global Administrators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from remit.governance.model import AccessKind, ApprovedAccess
from remit.posture.data import TenantData
from remit.posture.views import GLOBAL_ADMINISTRATOR, RoleHolder, role_holders, users_by_id


@dataclass(frozen=True, slots=True)
class Seen:
    """Approvals and emergency accounts read from a snapshot."""

    access: tuple[ApprovedAccess, ...]
    emergency_accounts: tuple[str, ...]


def _principal(holder: RoleHolder, users: dict[str, dict[str, Any]]) -> str:
    user = users.get(holder.principal_id)
    if user and user.get("userPrincipalName"):
        return str(user["userPrincipalName"]).lower()
    return holder.principal_id.lower()


def _kind(holders: list[RoleHolder]) -> AccessKind:
    assigned = [h for h in holders if h.kind == "active" and h.assignment_type != "Activated"]
    return AccessKind.ACTIVE if assigned else AccessKind.ELIGIBLE


def _until(holders: list[RoleHolder], kind: AccessKind) -> date | None:
    relevant = [
        h
        for h in holders
        if (h.kind == "active" and h.assignment_type != "Activated") == (kind is AccessKind.ACTIVE)
    ]
    if not relevant or any(h.end is None for h in relevant):
        return None
    return max(h.end for h in relevant if h.end is not None).date()


def seen_access(data: TenantData, *, approved_by: str, ticket: str = "") -> Seen:
    """What ``data`` (a snapshot) shows; raises ``MissingData`` when roles were not collected."""
    users = users_by_id(data)
    grouped: dict[tuple[str, str], list[RoleHolder]] = {}
    for holder in role_holders(data, expand_groups=False):
        grouped.setdefault((_principal(holder, users), holder.role_name), []).append(holder)
    access = []
    for (principal, role), holders in sorted(grouped.items()):
        kind = _kind(holders)
        access.append(
            ApprovedAccess(
                principal=principal,
                role=role,
                kind=kind,
                until=_until(holders, kind),
                approved_by=approved_by,
                ticket=ticket,
            )
        )
    emergency = sorted(
        {
            _principal(holder, users)
            for holder in role_holders(data)
            if _is_emergency(holder, users.get(holder.principal_id))
        }
    )
    return Seen(tuple(access), tuple(emergency))


def _is_emergency(holder: RoleHolder, user: dict[str, Any] | None) -> bool:
    return (
        user is not None
        and holder.role_template_id == GLOBAL_ADMINISTRATOR
        and holder.kind == "active"
        and holder.permanent
        and holder.assignment_type != "Activated"
        and not user.get("assignedLicenses")
        and user.get("onPremisesSyncEnabled") is not True
    )
