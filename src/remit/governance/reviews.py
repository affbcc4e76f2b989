"""Access reviews: what a reviewer keeps or revokes, and when the next review is due.

Two kinds run on a schedule:

- ``privileged`` (monthly): every directory-role assignment of the latest snapshot (active and
  eligible, direct and through groups), each marked with how it drifts from the control map;
- ``raci`` (weekly): every control of the tenant's control map with its Responsible and
  Accountable, to confirm that responsibilities did not shift.

A reviewer decides ``keep`` or ``revoke`` for each item. Remit never changes the tenant: a
revoke is recorded and listed as an action for a technician (:func:`actions`). A review closes
only when every item is decided; its items and decisions are the evidence.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from remit.errors import InvalidInput
from remit.governance.drift import approval_drift
from remit.governance.model import ControlMapDoc
from remit.governance.principals import Directory, Roles
from remit.posture.data import TenantData
from remit.posture.views import RoleHolder, role_holders


class ReviewKind(enum.StrEnum):
    PRIVILEGED = "privileged"  # monthly: privileged role assignments
    RACI = "raci"  # weekly: who is responsible and accountable for each control


class Decision(enum.StrEnum):
    KEEP = "keep"
    REVOKE = "revoke"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One thing to keep or revoke. ``key`` is stable; ``details`` is for people and JSON."""

    key: str
    title: str
    details: dict[str, str | bool | None]


@dataclass(frozen=True, slots=True)
class DecidedItem:
    """An item with its decision so far (``decision`` None: not decided yet)."""

    number: int
    key: str
    title: str
    details: dict[str, str | bool | None]
    decision: Decision | None = None
    note: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None


# --- items -------------------------------------------------------------------------------------


def privileged_items(
    data: TenantData, approved: ControlMapDoc | None = None, now: datetime | None = None
) -> list[ReviewItem]:
    """One item per role holder of the snapshot, sorted by role then principal.

    With the tenant's ``approved`` map, each item says whether the assignment drifts from it
    (``drift``: the rule, or None) as of ``now`` (default: the snapshot's time).

    Raises :class:`remit.posture.data.MissingData` when role assignments were not collected.
    """
    directory = Directory(data)
    roles = Roles(data)
    drift: dict[tuple[str, str], str] = {}
    if approved is not None:
        for finding in approval_drift(data, approved, now or data.now, tenant_id=""):
            if finding.role:
                drift.setdefault((finding.principal.id, finding.role), finding.rule.value)
    items: dict[str, ReviewItem] = {}
    for holder in role_holders(data):
        principal = directory.resource(holder.principal_id, holder.principal_type)
        role = roles.name(holder.role_template_id)
        key = f"{holder.principal_id}:{holder.role_template_id}:{holder.kind}" + (
            f":{holder.via_group}" if holder.via_group else ""
        )
        items[key] = ReviewItem(
            key=key,
            title=f"{principal.name} — {role} ({_access(holder, directory)})",
            details={
                "principal": principal.name,
                "principal_id": principal.id,
                "principal_type": principal.type,
                "role": role,
                "role_template_id": holder.role_template_id,
                "kind": holder.kind,
                "permanent": holder.permanent,
                "end": holder.end.isoformat() if holder.end else None,
                "via_group": directory.label(holder.via_group) if holder.via_group else None,
                "drift": drift.get((principal.id, role)),
            },
        )
    return sorted(items.values(), key=lambda i: (str(i.details["role"]), i.title.lower()))


def _access(holder: RoleHolder, directory: Directory) -> str:
    text = holder.kind + (", permanent" if holder.permanent else "")
    if holder.end is not None:
        text += f", until {holder.end.date().isoformat()}"
    if holder.via_group:
        text += f", through group {directory.label(holder.via_group)}"
    return text


def raci_items(control_map: ControlMapDoc) -> list[ReviewItem]:
    """One item per control of the map: its Responsible and Accountable, by control id."""
    items: list[ReviewItem] = []
    for control_id, entry in sorted(control_map.controls.items()):
        responsible = ", ".join(entry.raci.responsible) or "nobody"
        accountable = entry.raci.accountable or "nobody"
        items.append(
            ReviewItem(
                key=control_id,
                title=f"{control_id} — R: {responsible}; A: {accountable}",
                details={
                    "control": control_id,
                    "responsible": ", ".join(entry.raci.responsible),
                    "accountable": entry.raci.accountable,
                    "consulted": ", ".join(entry.raci.consulted),
                    "informed": ", ".join(entry.raci.informed),
                    "status": entry.status.value,
                },
            )
        )
    return items


# --- decisions and closing ---------------------------------------------------------------------


def parse_items(text: str, count: int) -> list[int]:
    """Item numbers from ``3``, ``1-4`` or ``1,3,5-7`` (1-based, at most ``count``)."""
    numbers: list[int] = []
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise InvalidInput(
                f"item {text!r}: give an item number, a range such as 1-4, or a list such as "
                "1,3,5-7"
            ) from None
        if low < 1 or high > count or low > high:
            raise InvalidInput(f"item {part!r} is out of range: this review has items 1-{count}")
        numbers.extend(n for n in range(low, high + 1) if n not in numbers)
    return numbers


def undecided(items: Sequence[DecidedItem]) -> list[DecidedItem]:
    return [item for item in items if item.decision is None]


def actions(kind: ReviewKind, items: Sequence[DecidedItem]) -> list[str]:
    """What a technician must do after the review: one line per revoked item."""
    out: list[str] = []
    for item in items:
        if item.decision is not Decision.REVOKE:
            continue
        if kind is ReviewKind.PRIVILEGED:
            via = item.details.get("via_group")
            where = f" (remove them from group {via})" if via else ""
            line = (
                f"remove {item.details.get('role')} ({item.details.get('kind')}) from "
                f"{item.details.get('principal')}{where} in Entra ID"
            )
        else:
            line = f"update the RACI of {item.details.get('control')} in the control map"
        out.append(line + (f" — {item.note}" if item.note else ""))
    return out


def outcome(kind: ReviewKind, items: Sequence[DecidedItem]) -> dict[str, object]:
    """The evidence kept with a closed review: counts, the actions, every decision."""
    return {
        "kind": kind.value,
        "items": len(items),
        "kept": sum(1 for i in items if i.decision is Decision.KEEP),
        "revoked": sum(1 for i in items if i.decision is Decision.REVOKE),
        "actions": actions(kind, items),
        "decisions": [
            {
                "number": i.number,
                "key": i.key,
                "title": i.title,
                "decision": i.decision.value if i.decision else None,
                "note": i.note,
                "decided_by": i.decided_by,
                "decided_at": i.decided_at.isoformat() if i.decided_at else None,
            }
            for i in items
        ],
    }


# --- schedule ----------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_due(kind: ReviewKind, last_closed: datetime | None) -> datetime | None:
    """When the next review of ``kind`` is due: a week (RACI) or a month (privileged) after
    the last closed one; None when there never was one (due now)."""
    if last_closed is None:
        return None
    if kind is ReviewKind.RACI:
        return last_closed + timedelta(days=7)
    return add_months(last_closed, 1)


def is_due(kind: ReviewKind, last_closed: datetime | None, now: datetime) -> bool:
    due = next_due(kind, last_closed)
    return due is None or due <= now
