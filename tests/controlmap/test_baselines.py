"""Baselines on a real workspace: tiers, assignments, plans that show only affected tenants and
the overrides that mask a change, apply and rollback as revisions."""

from __future__ import annotations

import pytest

from remit.controlmap import effective_map
from remit.controlmap.baselines import (
    apply_baseline,
    assign_tier,
    baseline_diff,
    baseline_doc,
    baseline_history,
    create_baseline,
    list_baselines,
    plan_baseline,
    rollback_baseline,
)
from remit.controlmap.service import edit_map
from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.governance import edits
from remit.governance.model import ControlMapDoc, ImplementationStatus
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

MFA = "identity.mfa-all-users"
PHISH = "identity.phishing-resistant-mfa"


def regulated_doc(accountable: str = "Regulated CISO") -> ControlMapDoc:
    return ControlMapDoc.model_validate(
        {
            "controls": {
                MFA: {"raci": {"accountable": accountable}},
                PHISH: {"status": "implemented"},
            }
        }
    )


@pytest.fixture
def regulated(workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]) -> str:
    create_baseline(workspace, "regulated", author="lead", reason="tier for PCI clients")
    assign_tier(workspace, "contoso", "regulated", author="lead", reason="PCI scope")
    return "regulated"


def test_tiers_are_listed_with_their_tenants(workspace: Workspace, regulated: str) -> None:
    infos = {i.name: i for i in list_baselines(workspace)}
    assert list(infos) == ["default", "regulated"]
    assert infos["default"].tenants == ("contoso", "fabrikam")
    assert (infos["default"].revision, infos["default"].author) == (1, "remit")
    assert infos["regulated"].tenants == ("contoso",)
    assert (infos["regulated"].kind, infos["regulated"].reason) == ("tier", "tier for PCI clients")
    with pytest.raises(AlreadyExists):
        create_baseline(workspace, "Regulated", author="lead", reason="again")
    with pytest.raises(InvalidInput, match="not usable"):
        create_baseline(workspace, "PCI tier!", author="lead", reason="r")
    with pytest.raises(NotFound, match="no baseline 'gold'"):
        assign_tier(workspace, "fabrikam", "gold", author="lead", reason="r")


def test_a_tier_plan_shows_affected_tenants_and_masked_changes(
    workspace: Workspace, regulated: str
) -> None:
    edit_map(
        workspace, "contoso", lambda doc, _s: edits.set_raci(doc, MFA, accountable="Ana (CIO)"),
        author="tech", reason="client asked",
    )  # fmt: skip
    plan = plan_baseline(workspace, regulated, regulated_doc())
    assert (plan.using, plan.revision) == (1, 1)
    assert [str(c.path) for c in plan.layer_changes] == [
        f"controls[{MFA}].raci.accountable",
        f"controls[{PHISH}].status",
    ]
    [contoso] = plan.tenants
    assert contoso.tenant == "contoso"
    assert [(str(c.path), c.before, c.after) for c in contoso.changes] == [
        (f"controls[{PHISH}].status", "planned", "implemented")
    ]
    [conflict] = contoso.conflicts
    assert (conflict.masked_by, conflict.override, conflict.proposed) == (
        "tenant contoso",
        "Ana (CIO)",
        "Regulated CISO",
    )
    # Planning stores nothing.
    assert [r.number for r in baseline_history(workspace, regulated)] == [1]


def test_a_default_plan_reaches_every_tenant_but_only_lists_those_affected(
    workspace: Workspace, regulated: str
) -> None:
    apply_baseline(workspace, regulated, regulated_doc(), author="lead", reason="PCI")
    current = baseline_doc(workspace, "default").doc
    changed = current.model_copy(
        update={
            "controls": {
                **current.controls,
                PHISH: current.controls[PHISH].model_copy(update={"evidence": "FIDO2 report"}),
                MFA: current.controls[MFA].model_copy(
                    update={"status": ImplementationStatus.PARTIAL}
                ),
            }
        }
    )
    plan = plan_baseline(workspace, "default", changed)
    assert plan.using == 2
    by_tenant = {t.tenant: t for t in plan.tenants}
    assert sorted(by_tenant) == ["contoso", "fabrikam"]
    assert len(by_tenant["fabrikam"].changes) == 2
    # The tier sets PHISH's status, not its evidence: both changes reach contoso too.
    assert len(by_tenant["contoso"].changes) == 2
    # A change that only touches what the tier overrides affects only fabrikam.
    only_status = current.model_copy(
        update={
            "controls": {
                **current.controls,
                PHISH: current.controls[PHISH].model_copy(
                    update={"status": ImplementationStatus.PARTIAL}
                ),
            }
        }
    )
    narrow = plan_baseline(workspace, "default", only_status)
    assert [t.tenant for t in narrow.affected] == ["fabrikam"]
    assert [c.masked_by for t in narrow.tenants for c in t.conflicts] == ["tier regulated"]


def test_apply_and_rollback_are_revisions_that_reach_the_tenants(
    workspace: Workspace, regulated: str
) -> None:
    saved, plan = apply_baseline(workspace, regulated, regulated_doc(), author="lead", reason="PCI")
    assert saved.revision is not None
    assert saved.revision.number == 2
    assert [t.tenant for t in plan.affected] == ["contoso"]
    contoso = effective_map(workspace, "contoso")
    assert contoso.controls[MFA].raci.accountable == "Regulated CISO"
    assert contoso.controls[PHISH].status is ImplementationStatus.IMPLEMENTED
    assert (
        effective_map(workspace, "fabrikam").controls[PHISH].status is ImplementationStatus.PLANNED
    )
    unchanged, _ = apply_baseline(workspace, regulated, regulated_doc(), author="lead", reason="x")
    assert not unchanged.changed
    back, _ = rollback_baseline(workspace, regulated, 1, author="lead", reason="PCI audit moved")
    assert back.revision is not None
    assert (back.revision.number, back.revision.restored_from) == (3, 1)
    assert (
        effective_map(workspace, "contoso").controls[PHISH].status is ImplementationStatus.PLANNED
    )
    found = baseline_diff(workspace, regulated, before=1, after=2)
    assert len(found.changes) == 2
    assert [r.number for r in baseline_history(workspace, regulated)] == [3, 2, 1]


def test_assigning_a_tier_changes_the_effective_map(workspace: Workspace, regulated: str) -> None:
    apply_baseline(workspace, regulated, regulated_doc(), author="lead", reason="PCI")
    moved = assign_tier(workspace, "fabrikam", regulated, author="lead", reason="now PCI")
    assert (moved.before, moved.after) == ("default", "regulated")
    assert len(moved.changes) == 2
    back = assign_tier(workspace, "fabrikam", "default", author="lead", reason="no longer")
    assert (back.before, back.after) == ("regulated", "default")
    assert (
        effective_map(workspace, "fabrikam").controls[PHISH].status is ImplementationStatus.PLANNED
    )
    with pytest.raises(InvalidInput, match="--reason is empty"):
        assign_tier(workspace, "fabrikam", regulated, author="lead", reason="")
