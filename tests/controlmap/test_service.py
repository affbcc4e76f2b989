"""The control-map use case on a real workspace: effective maps, edits as revisions (atomic,
never rewritten), rollback, import, diffs, and seeding from a stored snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from remit.controlmap import active_exceptions, effective_map
from remit.controlmap.authors import resolve_author
from remit.controlmap.seed import seed_map
from remit.controlmap.service import (
    Edit,
    edit_map,
    explain_map,
    import_map,
    map_diff,
    map_history,
    rollback_map,
)
from remit.errors import InvalidInput, NotFound
from remit.governance import edits
from remit.governance.defaults import shipped_default
from remit.governance.model import (
    AccessKind,
    ApprovedAccess,
    ControlException,
    ControlMapDoc,
    ImplementationStatus,
)
from remit.governance.paths import FieldPath
from remit.governance.validate import KnownIds
from remit.inventory.service import TenantRef
from remit.store.maps import BaselineRepository
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace
from tests.controlmap.conftest import store_snapshot
from tests.governance.test_seed import tenant as snapshot_with_roles

MFA = "identity.mfa-all-users"
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def set_accountable(name: str) -> Edit:
    return lambda doc, _stack: edits.set_raci(doc, MFA, accountable=name)


def test_a_new_tenant_starts_from_the_default_baseline_and_reading_stores_nothing(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = tenants
    effective = effective_map(workspace, "contoso")
    shipped = shipped_default()
    assert set(effective.controls) == KnownIds.of().controls
    assert effective.controls[MFA] == shipped.controls[MFA]
    assert effective.objectives == shipped.objectives
    # A name, a tenant id, a TenantInfo or a TenantRef all name the tenant.
    assert effective_map(workspace, contoso) == effective
    assert (
        effective_map(workspace, TenantRef(name="contoso", tenant_id=contoso.tenant_id))
        == effective
    )
    with workspace.session(write=False) as session:
        assert BaselineRepository(session).find("default") is None
    with pytest.raises(NotFound, match="no tenant 'nowhere'"):
        effective_map(workspace, "nowhere")


def test_every_edit_is_a_revision_with_author_time_and_reason(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    first = edit_map(
        workspace, "contoso", set_accountable("Ana"), author="tech1", reason="T-1", now=T0
    )
    assert first.revision is not None
    assert first.revision.number == 1
    assert [c.line() for c in first.changes] == [f"+ controls[{MFA}].raci.accountable: Ana"]
    second = edit_map(
        workspace, "contoso",
        lambda doc, _s: edits.set_status(doc, MFA, status=ImplementationStatus.IMPLEMENTED),
        author="tech2", reason="T-2", now=T0,
    )  # fmt: skip
    assert second.revision is not None
    assert second.revision.number == 2
    same = edit_map(workspace, "contoso", set_accountable("Ana"), author="tech1", reason="again")
    assert not same.changed
    assert same.previous == 2
    _tenant, history = map_history(workspace, "contoso")
    assert [(r.number, r.author, r.reason) for r in history] == [
        (2, "tech2", "T-2"),
        (1, "tech1", "T-1"),
    ]
    assert history[0].created_at == T0
    effective = effective_map(workspace, "contoso")
    assert effective.controls[MFA].raci.accountable == "Ana"
    assert effective.controls[MFA].status is ImplementationStatus.IMPLEMENTED
    # The other tenant is untouched, and the default baseline was stored as revision 1.
    assert effective_map(workspace, "fabrikam").controls[MFA].raci.accountable != "Ana"
    with workspace.session(write=False) as session:
        default = BaselineRepository(session).get("default")
        assert default.head == 1


def test_a_failing_edit_stores_nothing(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with pytest.raises(InvalidInput, match="unknown control id"):
        edit_map(
            workspace, "contoso", lambda doc, _s: edits.set_raci(doc, "nope", accountable="x"),
            author="tech", reason="r",
        )  # fmt: skip
    assert map_history(workspace, "contoso")[1] == []
    with workspace.session(write=False) as session:
        assert BaselineRepository(session).list() == []  # even the default stayed unstored
    with pytest.raises(InvalidInput, match="--reason is empty"):
        edit_map(workspace, "contoso", set_accountable("x"), author="t", reason=" ")


def test_rollback_is_a_new_revision_with_the_old_content(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    for name in ("Ana", "Bo", "Cy"):
        edit_map(workspace, "contoso", set_accountable(name), author="t", reason=name)
    back = rollback_map(workspace, "contoso", 1, author="lead", reason="undo T-2, T-3")
    assert back.revision is not None
    assert (back.revision.number, back.revision.restored_from) == (4, 1)
    _, history = map_history(workspace, "contoso")
    assert history[0].content_hash == history[-1].content_hash
    assert [r.number for r in history] == [4, 3, 2, 1]  # nothing was deleted
    assert effective_map(workspace, "contoso").controls[MFA].raci.accountable == "Ana"
    with pytest.raises(NotFound, match="has no revision 9"):
        rollback_map(workspace, "contoso", 9, author="lead", reason="r")


def test_import_replaces_the_layer_and_diff_compares_any_two_revisions(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    edit_map(workspace, "contoso", set_accountable("Ana"), author="t", reason="r1")
    replacement = ControlMapDoc.model_validate(
        {"controls": {"backup.teams": {"status": "implemented"}}, "emergency_accounts": ["bg@x"]}
    )
    saved = import_map(workspace, "contoso", replacement, author="t", reason="from git")
    assert saved.revision is not None
    assert saved.revision.number == 2
    _, found = map_diff(workspace, "contoso")
    assert found.before is not None
    assert (found.before.number, found.after.number) == (1, 2)
    assert [str(c.path) for c in found.changes] == [
        "controls[backup.teams].status",
        f"controls[{MFA}].raci.accountable",
        "emergency_accounts[bg@x]",
    ]
    _, from_empty = map_diff(workspace, "contoso", before=0, after=1)
    assert from_empty.before is None
    assert len(from_empty.changes) == 1
    with pytest.raises(NotFound, match="has no revisions yet"):
        map_diff(workspace, "fabrikam")


def test_explain_names_the_layers(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    edit_map(workspace, "contoso", set_accountable("Ana"), author="t", reason="r")
    explained = explain_map(workspace, "contoso")
    assert [layer.label for layer in explained.stack.layers] == [
        "baseline default",
        "tenant contoso",
    ]
    assert [layer.revision for layer in explained.stack.layers] == [1, 1]
    sources = explained.resolved
    assert sources.source_of(FieldPath("controls", MFA, "raci.accountable")) == "tenant contoso"
    assert sources.source_of(FieldPath("controls", MFA, "status")) == "baseline default"


def test_expired_exceptions_stop_counting(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    exceptions = [
        ControlException(control=MFA, reason="old", expires=date(2026, 1, 31), signed_off_by="cfo"),
        ControlException(control="MS.AAD.7.1", reason="merger", expires=date(2027, 1, 31),
                         signed_off_by="cfo"),
    ]  # fmt: skip
    import_map(workspace, "contoso", ControlMapDoc(exceptions=exceptions), author="t", reason="r")
    doc = effective_map(workspace, "contoso")
    assert [e.control for e in active_exceptions(doc, date(2026, 11, 22))] == ["MS.AAD.7.1"]
    assert len(doc.exceptions) == 2  # the map keeps it, marked expired when shown


def test_seed_approves_what_the_latest_snapshot_shows(
    workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with pytest.raises(NotFound, match="no usable snapshot"):
        seed_map(workspace, "contoso", author="tech", reason="onboarding")
    payloads = snapshot_with_roles()._payloads
    snapshot = store_snapshot(workspace, "contoso", dict(payloads))
    # Something approved already (in any layer) is left as it is.
    edit_map(
        workspace, "contoso",
        lambda doc, _s: edits.approve(doc, ApprovedAccess(
            principal="ana@contoso.com", role="Global Administrator", ticket="OLD-1")).doc,
        author="tech", reason="approved before",
    )  # fmt: skip
    seeded = seed_map(workspace, "contoso", author="tech", reason="onboarding", ticket="ONB-7")
    assert seeded.snapshot_id == snapshot
    assert len(seeded.approved) == 6
    assert seeded.emergency_accounts == ("bg1@contoso.com",)
    doc = effective_map(workspace, "contoso")
    by_pair = {(a.principal, a.role): a for a in doc.privileged_access}
    assert by_pair[("ana@contoso.com", "Global Administrator")].ticket == "OLD-1"
    assert by_pair[("bob@contoso.com", "Global Administrator")].kind is AccessKind.ELIGIBLE
    assert by_pair[("bg1@contoso.com", "Global Administrator")].ticket == "ONB-7"
    assert doc.emergency_accounts == ["bg1@contoso.com"]
    again = seed_map(workspace, "contoso", author="tech", reason="onboarding")
    assert not again.saved.changed
    assert again.approved == ()


def test_the_author_comes_from_the_option_the_environment_or_the_user() -> None:
    assert resolve_author(" ana ", {}) == "ana"
    assert resolve_author(None, {"REMIT_AUTHOR": "bo@msp.example"}) == "bo@msp.example"
    assert resolve_author(None, {}) != ""
    with pytest.raises(InvalidInput, match="--author is empty"):
        resolve_author("  ", {})
