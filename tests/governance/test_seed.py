"""Seeding approvals from a snapshot: holders as seen, eligible vs active, emergency accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from remit.governance.model import AccessKind
from remit.governance.seed import seen_access
from remit.posture.data import MissingData, TenantData

GA = "62e90394-69f5-4237-9190-012177145e10"
EXCHANGE = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SKU = [{"skuId": "sku-e5", "disabledPlans": []}]


def user(uid: str, *, licences: list[Any] | None = None, synced: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "userPrincipalName": f"{uid.title()}@Contoso.com",
        "accountEnabled": True,
        "assignedLicenses": licences or [],
        "onPremisesSyncEnabled": True if synced else None,
    }


def assignment(principal: str, role: str, aid: str) -> dict[str, Any]:
    return {"id": aid, "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/"}


def schedule(principal: str, role: str, kind: str, end: str | None = None) -> dict[str, Any]:
    expiration = {"type": "afterDateTime", "endDateTime": end} if end else {"type": "noExpiration"}
    return {
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "assignmentType": kind,
        "scheduleInfo": {"expiration": expiration},
    }


def tenant() -> TenantData:
    payloads = {
        "users": {
            "value": [
                user("bg1"),  # unlicensed, cloud-only, permanent GA: emergency account
                user("bg2", synced=True),  # synced: not an emergency account
                user("ana", licences=SKU),  # licensed permanent GA
                user("bob"),  # eligible GA only
                user("cat"),  # Exchange admin until a date, and an activated GA
            ]
        },
        "groups": {"value": [{"id": "grp", "displayName": "Exchange admins"}]},
        "servicePrincipals": {"value": []},
        "roleManagement/directory/roleDefinitions": {
            "value": [
                {"id": GA, "templateId": GA, "displayName": "Global Administrator"},
                {"id": EXCHANGE, "templateId": EXCHANGE, "displayName": "Exchange Administrator"},
            ]
        },
        "roleManagement/directory/roleAssignments": {
            "value": [
                assignment("bg1", GA, "a1"),
                assignment("bg2", GA, "a2"),
                assignment("ana", GA, "a3"),
                assignment("cat", EXCHANGE, "a4"),
                assignment("cat", GA, "a5"),
                assignment("grp", EXCHANGE, "a6"),
            ]
        },
        "roleManagement/directory/roleAssignmentSchedules": {
            "value": [
                schedule("ana", GA, "Assigned"),
                schedule("cat", EXCHANGE, "Assigned", "2027-03-31T00:00:00Z"),
                schedule("cat", GA, "Activated", "2026-11-22T12:00:00Z"),
            ]
        },
        "roleManagement/directory/roleEligibilitySchedules": {
            "value": [
                schedule("bob", GA, "", "2027-01-15T00:00:00Z"),
                schedule("cat", GA, ""),
            ]
        },
        "groups/grp/members": {"value": [{"id": "ana"}]},
    }
    return TenantData(payloads, now=datetime(2026, 11, 22, tzinfo=UTC))


def test_role_holders_are_approved_as_seen() -> None:
    seen = seen_access(tenant(), approved_by="tech@msp.example", ticket="ONB-1")
    approvals = {(a.principal, a.role): (a.kind, a.until) for a in seen.access}
    assert approvals == {
        ("bg1@contoso.com", "Global Administrator"): (AccessKind.ACTIVE, None),
        ("bg2@contoso.com", "Global Administrator"): (AccessKind.ACTIVE, None),
        ("ana@contoso.com", "Global Administrator"): (AccessKind.ACTIVE, None),
        ("bob@contoso.com", "Global Administrator"): (AccessKind.ELIGIBLE, date(2027, 1, 15)),
        # Exchange admin until a date; GA only through a PIM activation: eligible, permanently.
        ("cat@contoso.com", "Exchange Administrator"): (AccessKind.ACTIVE, date(2027, 3, 31)),
        ("cat@contoso.com", "Global Administrator"): (AccessKind.ELIGIBLE, None),
        # A role held through a group is approved for the group, not for each member.
        ("grp", "Exchange Administrator"): (AccessKind.ACTIVE, None),
    }
    assert {a.approved_by for a in seen.access} == {"tech@msp.example"}
    assert {a.ticket for a in seen.access} == {"ONB-1"}


def test_emergency_accounts_are_the_unlicensed_cloud_only_permanent_global_admins() -> None:
    assert seen_access(tenant(), approved_by="t").emergency_accounts == ("bg1@contoso.com",)


def test_a_snapshot_without_role_assignments_cannot_be_seeded() -> None:
    with pytest.raises(MissingData):
        seen_access(TenantData({"users": {"value": []}}), approved_by="t")
