"""Edits of one layer, as pure functions: each takes a document and returns the changed one.

A technician's verbs (`remit map raci`, `approve`, `exception add`, ...) are these functions
applied to the tenant's layer inside one transaction. Each refuses what would make the layer
invalid with :class:`~remit.errors.InvalidInput` (unknown control, empty name, bad duration)
and :class:`~remit.errors.NotFound` for what is not there to remove.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from remit.errors import InvalidInput, NotFound
from remit.governance.model import (
    ApprovedAccess,
    ControlEntry,
    ControlException,
    ControlMapDoc,
    ImplementationStatus,
    RecoveryObjective,
    Workload,
)
from remit.governance.paths import access_key, account_key, canonical_role, normalize
from remit.governance.validate import KnownIds, problems, unknown_control


def checked(doc: ControlMapDoc, known: KnownIds | None = None) -> ControlMapDoc:
    """``doc`` in canonical form, or :class:`InvalidInput` with its first problem."""
    found = problems(doc, known or KnownIds.of())
    if found:
        where = ".".join(str(p) for p in found[0].location)
        raise InvalidInput(f"{where}: {found[0].message}")
    return normalize(doc)


def _require_control(control_id: str, known: KnownIds) -> None:
    if control_id not in known.controls:
        raise InvalidInput(unknown_control(control_id, known.controls))


def _given(entry: ControlEntry | None) -> dict[str, Any]:
    return entry.model_dump(exclude_unset=True) if entry is not None else {}


def _with_control(doc: ControlMapDoc, control_id: str, entry: dict[str, Any]) -> ControlMapDoc:
    controls = dict(doc.controls)
    if entry:
        controls[control_id] = ControlEntry.model_validate(entry)
    else:
        controls.pop(control_id, None)
    return doc.model_copy(update={"controls": controls})


def set_raci(
    doc: ControlMapDoc,
    control_id: str,
    *,
    responsible: Sequence[str] | None = None,
    accountable: str | None = None,
    consulted: Sequence[str] | None = None,
    informed: Sequence[str] | None = None,
    known: KnownIds | None = None,
) -> ControlMapDoc:
    """Set the given RACI letters of a control in this layer; the others stay as they are."""
    ids = known or KnownIds.of()
    _require_control(control_id, ids)
    letters = {
        "responsible": list(responsible) if responsible is not None else None,
        "accountable": accountable,
        "consulted": list(consulted) if consulted is not None else None,
        "informed": list(informed) if informed is not None else None,
    }
    chosen = {k: v for k, v in letters.items() if v is not None}
    if not chosen:
        raise InvalidInput(
            "give at least one of --responsible, --accountable, --consulted, --informed"
        )
    entry = _given(doc.controls.get(control_id))
    entry["raci"] = {**entry.get("raci", {}), **chosen}
    return checked(_with_control(doc, control_id, entry), ids)


def set_status(
    doc: ControlMapDoc,
    control_id: str,
    *,
    status: ImplementationStatus | None = None,
    evidence: str | None = None,
    known: KnownIds | None = None,
) -> ControlMapDoc:
    """Set a control's implementation status and/or where its evidence comes from."""
    ids = known or KnownIds.of()
    _require_control(control_id, ids)
    if status is None and evidence is None:
        raise InvalidInput("give --status, --evidence or both")
    entry = _given(doc.controls.get(control_id))
    if status is not None:
        entry["status"] = ImplementationStatus(status)
    if evidence is not None:
        entry["evidence"] = evidence.strip()
    return checked(_with_control(doc, control_id, entry), ids)


def reset_control(doc: ControlMapDoc, control_id: str) -> ControlMapDoc:
    """Drop this layer's settings for a control: it inherits everything again."""
    if control_id not in doc.controls:
        raise NotFound(f"this layer sets nothing for {control_id}; nothing to reset")
    return normalize(_with_control(doc, control_id, {}))


def set_objective(
    doc: ControlMapDoc,
    workload: Workload,
    objective: RecoveryObjective,
    known: KnownIds | None = None,
) -> ControlMapDoc:
    objectives = {**doc.objectives, Workload(workload): objective}
    return checked(doc.model_copy(update={"objectives": objectives}), known)


@dataclass(frozen=True, slots=True)
class Approved:
    doc: ControlMapDoc
    replaced: ApprovedAccess | None  # the earlier approval of the same principal and role


def approve(doc: ControlMapDoc, access: ApprovedAccess, known: KnownIds | None = None) -> Approved:
    """Approve a principal for a role (replacing an earlier approval of the same pair)."""
    key = access_key(access)
    earlier = next((a for a in doc.privileged_access if access_key(a) == key), None)
    kept = [a for a in doc.privileged_access if access_key(a) != key]
    new = checked(doc.model_copy(update={"privileged_access": [*kept, access]}), known)
    return Approved(new, earlier)


def revoke(
    doc: ControlMapDoc, principal: str, role: str | None = None
) -> tuple[ControlMapDoc, list[ApprovedAccess]]:
    """Withdraw the approvals of ``principal`` (for ``role`` only, when given)."""
    who = principal.strip().lower()
    wanted = canonical_role(role) if role else None

    def matches(access: ApprovedAccess) -> bool:
        return access.principal.strip().lower() == who and (
            wanted is None or canonical_role(access.role).casefold() == wanted.casefold()
        )

    removed = [a for a in doc.privileged_access if matches(a)]
    if not removed:
        what = f" for {wanted}" if wanted else ""
        raise NotFound(f"{principal} has no approval{what} in this layer; nothing to revoke")
    kept = [a for a in doc.privileged_access if not matches(a)]
    return normalize(doc.model_copy(update={"privileged_access": kept})), removed


def set_emergency_accounts(
    doc: ControlMapDoc, accounts: Sequence[str], known: KnownIds | None = None
) -> ControlMapDoc:
    """Designate the emergency-access accounts (the list replaces the layer's list)."""
    if not accounts:
        raise InvalidInput("name the emergency-access accounts (UPNs or object ids)")
    return checked(
        doc.model_copy(update={"emergency_accounts": [a.strip() for a in accounts]}), known
    )


def add_exception(
    doc: ControlMapDoc, exception: ControlException, known: KnownIds | None = None
) -> tuple[ControlMapDoc, ControlException | None]:
    """Accept an exception for a control or check (replacing, i.e. renewing, an earlier one)."""
    earlier = next((e for e in doc.exceptions if e.control == exception.control), None)
    kept = [e for e in doc.exceptions if e.control != exception.control]
    return checked(doc.model_copy(update={"exceptions": [*kept, exception]}), known), earlier


def remove_exception(doc: ControlMapDoc, control: str) -> ControlMapDoc:
    kept = [e for e in doc.exceptions if e.control != control]
    if len(kept) == len(doc.exceptions):
        raise NotFound(f"this layer has no exception for {control}; nothing to remove")
    return normalize(doc.model_copy(update={"exceptions": kept}))


def add_accounts(doc: ControlMapDoc, accounts: Sequence[str]) -> tuple[ControlMapDoc, list[str]]:
    """Add emergency accounts that are not designated yet; returns the ones added."""
    present = {account_key(a) for a in doc.emergency_accounts}
    added = [a for a in dict.fromkeys(account_key(a) for a in accounts) if a not in present]
    return normalize(
        doc.model_copy(update={"emergency_accounts": [*doc.emergency_accounts, *added]})
    ), added
