"""The editing verbs as pure functions, and what still counts on a given day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from remit.errors import InvalidInput, NotFound
from remit.governance import edits
from remit.governance.expiry import (
    ExceptionState,
    active_exceptions,
    approval_expired,
    exception_state,
)
from remit.governance.model import (
    AccessKind,
    ApprovedAccess,
    ControlException,
    ControlMapDoc,
    ImplementationStatus,
    RecoveryObjective,
    Workload,
)

MFA = "identity.mfa-all-users"


def test_set_raci_changes_only_the_letters_given() -> None:
    doc = edits.set_raci(ControlMapDoc(), MFA, accountable="Ana")
    doc = edits.set_raci(doc, MFA, responsible=["MSP desk", "Client IT"])
    entry = doc.controls[MFA]
    assert entry.raci.accountable == "Ana"
    assert entry.raci.responsible == ["MSP desk", "Client IT"]
    assert entry.raci.model_fields_set == {"accountable", "responsible"}
    assert entry.model_fields_set == {"raci"}  # status and evidence stay inherited


def test_set_status_and_reset() -> None:
    doc = edits.set_status(ControlMapDoc(), MFA, status=ImplementationStatus.PARTIAL)
    doc = edits.set_status(doc, MFA, evidence=" CA policy export ")
    assert doc.controls[MFA].status is ImplementationStatus.PARTIAL
    assert doc.controls[MFA].evidence == "CA policy export"
    assert edits.reset_control(doc, MFA).controls == {}
    with pytest.raises(NotFound, match="sets nothing for"):
        edits.reset_control(ControlMapDoc(), MFA)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: edits.set_raci(ControlMapDoc(), "identity.mfa", accountable="x"),
         "unknown control id 'identity.mfa'"),
        (lambda: edits.set_raci(ControlMapDoc(), MFA), "give at least one of"),
        (lambda: edits.set_raci(ControlMapDoc(), MFA, responsible=[" "]), "an empty name"),
        (lambda: edits.set_status(ControlMapDoc(), MFA), "give --status, --evidence"),
        (lambda: edits.set_objective(ControlMapDoc(), Workload.TEAMS,
                                     RecoveryObjective(rto="4h", rpo="P1D", owner="x")),
         "not an ISO 8601 duration"),
        (lambda: edits.set_emergency_accounts(ControlMapDoc(), []), "name the emergency"),
        (lambda: edits.set_emergency_accounts(ControlMapDoc(), ["a@x", "A@x"]), "listed twice"),
        (lambda: edits.add_exception(ControlMapDoc(), ControlException(
            control="nope", reason="r", expires=date(2030, 1, 1))), "unknown control or check"),
    ],
)  # fmt: skip
def test_invalid_edits_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()  # type: ignore[operator]


def test_approve_replaces_the_same_pair_and_revoke_removes_it() -> None:
    first = ApprovedAccess(principal="Ana@Contoso.com", role="Global Administrator")
    approved = edits.approve(ControlMapDoc(), first)
    assert approved.replaced is None
    again = edits.approve(
        approved.doc,
        ApprovedAccess(principal="ana@contoso.com", role="global administrator",
                       kind=AccessKind.ACTIVE, until=date(2027, 1, 1)),
    )  # fmt: skip
    assert again.replaced is not None
    [access] = again.doc.privileged_access
    assert (access.principal, access.kind, access.until) == (
        "ana@contoso.com",
        AccessKind.ACTIVE,
        date(2027, 1, 1),
    )
    other = edits.approve(again.doc, ApprovedAccess(principal="ana@contoso.com", role="Reader"))
    kept, removed = edits.revoke(other.doc, "ANA@contoso.com", "Global Administrator")
    assert [a.role for a in removed] == ["Global Administrator"]
    assert [a.role for a in kept.privileged_access] == ["Reader"]
    everything, removed_all = edits.revoke(other.doc, "ana@contoso.com")
    assert len(removed_all) == 2
    assert everything.privileged_access == []
    with pytest.raises(NotFound, match="nothing to revoke"):
        edits.revoke(kept, "bob@contoso.com")


def test_exceptions_are_renewed_and_removed() -> None:
    exception = ControlException(control=MFA, reason="pilot", expires=date(2027, 1, 1))
    doc, earlier = edits.add_exception(ControlMapDoc(), exception)
    assert earlier is None
    renewed = exception.model_copy(update={"expires": date(2027, 6, 1)})
    doc, earlier = edits.add_exception(doc, renewed)
    assert earlier == exception
    assert [e.expires for e in doc.exceptions] == [date(2027, 6, 1)]
    assert edits.remove_exception(doc, MFA).exceptions == []
    with pytest.raises(NotFound, match="no exception for"):
        edits.remove_exception(ControlMapDoc(), MFA)


def test_an_exception_counts_until_its_expiry_day_and_only_when_signed_off() -> None:
    signed = ControlException(
        control=MFA, reason="r", expires=date(2026, 12, 31), signed_off_by="cfo",
        signed_off_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    unsigned = ControlException(control="backup.teams", reason="r", expires=date(2027, 1, 1))
    doc = ControlMapDoc(exceptions=[signed, unsigned])
    assert exception_state(signed, date(2026, 12, 31)) is ExceptionState.ACTIVE
    assert exception_state(signed, date(2027, 1, 1)) is ExceptionState.EXPIRED
    assert exception_state(unsigned, date(2026, 6, 1)) is ExceptionState.UNSIGNED
    assert active_exceptions(doc, date(2026, 12, 31)) == [signed]
    assert active_exceptions(doc, date(2027, 1, 1)) == []


def test_an_approval_ends_with_its_date_or_the_contractor_engagement() -> None:
    access = ApprovedAccess(principal="c@x", role="Reader", contractor_until=date(2026, 6, 30))
    assert not approval_expired(access, date(2026, 6, 30))
    assert approval_expired(access, date(2026, 7, 1))
    assert not approval_expired(ApprovedAccess(principal="p@x", role="Reader"), date(2099, 1, 1))
