"""A control map as a flat table of fields: the common ground of merging, diffs and storage.

Every value a layer can set has a :class:`FieldPath`: one RACI letter, the status or the evidence
of a control; a workload's recovery objective; one approval, emergency account or exception.
:func:`flatten` turns a document into ``{FieldPath: JSON value}`` (only what the layer *sets*, or
everything for an effective map) and :func:`unflatten` turns it back, so documents are compared,
merged and normalised the same way everywhere.

A control entry knows which of its fields were given (pydantic's ``model_fields_set``): a layer
that sets only ``raci.accountable`` leaves the other letters, the status and the evidence to the
layers below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from remit.governance.model import (
    ApprovedAccess,
    ControlEntry,
    ControlException,
    ControlMapDoc,
    Raci,
    Workload,
)
from remit.posture.views import HIGHLY_PRIVILEGED_ROLES

Json = Any  # a JSON value: str, list of str, or an object of them

SECTIONS = ("controls", "objectives", "privileged_access", "emergency_accounts", "exceptions")
RACI_LETTERS = ("responsible", "accountable", "consulted", "informed")
CONTROL_FIELDS = (*(f"raci.{letter}" for letter in RACI_LETTERS), "status", "evidence")
_WORKLOAD_ORDER = {workload.value: i for i, workload in enumerate(Workload)}
_ROLE_NAMES = {name.casefold(): name for name in HIGHLY_PRIVILEGED_ROLES.values()}


class FieldPath(NamedTuple):
    """Where a value stands: ``controls[identity.mfa-all-users].raci.accountable``."""

    section: str
    key: str
    field: str = ""

    def __str__(self) -> str:
        return f"{self.section}[{self.key}]" + (f".{self.field}" if self.field else "")


def path_order(path: FieldPath) -> tuple[int, int, str, int]:
    """Sections in document order, workloads in enum order, control fields in RACI order."""
    workload = _WORKLOAD_ORDER.get(path.key, 0) if path.section == "objectives" else 0
    field = CONTROL_FIELDS.index(path.field) if path.field in CONTROL_FIELDS else 0
    return (SECTIONS.index(path.section), workload, path.key, field)


# --- keys of list entries ---------------------------------------------------------------------


def canonical_role(role: str) -> str:
    """A known privileged role's display name in its usual spelling; anything else as given."""
    text = role.strip()
    return _ROLE_NAMES.get(text.casefold(), HIGHLY_PRIVILEGED_ROLES.get(text.lower(), text))


def access_key(access: ApprovedAccess) -> str:
    return f"{access.principal.strip().lower()}, {canonical_role(access.role)}"


def account_key(account: str) -> str:
    return account.strip().lower()


# --- flatten / unflatten ----------------------------------------------------------------------


def _control_values(entry: ControlEntry, *, only_set: bool) -> Iterable[tuple[str, Json]]:
    given = entry.model_fields_set
    raci_given = entry.raci.model_fields_set if "raci" in given else set()
    for letter in RACI_LETTERS:
        if not only_set or letter in raci_given:
            value = getattr(entry.raci, letter)
            yield f"raci.{letter}", list(value) if isinstance(value, list) else value
    for name in ("status", "evidence"):
        if not only_set or name in given:
            yield name, str(getattr(entry, name))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def entry_json(model: ApprovedAccess | ControlException) -> dict[str, Json]:
    """A list entry as JSON, every field (dates and times in ISO 8601), in canonical form."""
    if isinstance(model, ApprovedAccess):
        model = model.model_copy(
            update={
                "principal": model.principal.strip().lower(),
                "role": canonical_role(model.role),
            }
        )
    else:
        model = model.model_copy(
            update={"control": model.control.strip(), "signed_off_at": _utc(model.signed_off_at)}
        )
    return dict(model.model_dump(mode="json"))


def flatten(doc: ControlMapDoc, *, only_set: bool = True) -> dict[FieldPath, Json]:
    """Every value of ``doc`` by path; ``only_set`` leaves out control fields no one gave."""
    out: dict[FieldPath, Json] = {}
    for control_id, entry in doc.controls.items():
        for field, value in _control_values(entry, only_set=only_set):
            out[FieldPath("controls", control_id, field)] = value
    for workload, objective in doc.objectives.items():
        out[FieldPath("objectives", Workload(workload).value)] = objective.model_dump(mode="json")
    for access in doc.privileged_access:
        out[FieldPath("privileged_access", access_key(access))] = entry_json(access)
    for account in doc.emergency_accounts:
        out[FieldPath("emergency_accounts", account_key(account))] = account_key(account)
    for exception in doc.exceptions:
        out[FieldPath("exceptions", exception.control.strip())] = entry_json(exception)
    return out


def unflatten(values: Mapping[FieldPath, Json]) -> ControlMapDoc:
    """The document holding ``values``, sorted: controls by id, workloads in order, lists by key."""
    controls: dict[str, dict[str, Any]] = {}
    objectives: dict[str, Json] = {}
    lists: dict[str, dict[str, Json]] = {"privileged_access": {}, "exceptions": {}}
    accounts: dict[str, str] = {}
    for path in sorted(values, key=path_order):
        value = values[path]
        if path.section == "controls":
            entry = controls.setdefault(path.key, {})
            if path.field.startswith("raci."):
                entry.setdefault("raci", {})[path.field.removeprefix("raci.")] = value
            else:
                entry[path.field] = value
        elif path.section == "objectives":
            objectives[path.key] = value
        elif path.section == "emergency_accounts":
            accounts[path.key] = value
        else:
            lists[path.section][path.key] = value
    return ControlMapDoc.model_validate(
        {
            "controls": controls,
            "objectives": objectives,
            "privileged_access": list(lists["privileged_access"].values()),
            "emergency_accounts": list(accounts.values()),
            "exceptions": list(lists["exceptions"].values()),
        }
    )


def normalize(doc: ControlMapDoc) -> ControlMapDoc:
    """The canonical form of a layer: sorted, names trimmed, principals and accounts in lower
    case, known role names spelled as Entra ID spells them, sign-off times in UTC, control
    entries that set nothing dropped. Equal layers have equal canonical forms."""
    return unflatten(flatten(doc, only_set=True))


def layer_json(doc: ControlMapDoc) -> dict[str, Json]:
    """The stored form of a layer (canonical): control fields as set, list entries in full."""
    canonical = normalize(doc)
    return {
        "controls": {
            control_id: entry.model_dump(mode="json", exclude_unset=True)
            for control_id, entry in canonical.controls.items()
        },
        "objectives": {
            Workload(workload).value: objective.model_dump(mode="json")
            for workload, objective in canonical.objectives.items()
        },
        "privileged_access": [entry_json(a) for a in canonical.privileged_access],
        "emergency_accounts": list(canonical.emergency_accounts),
        "exceptions": [entry_json(e) for e in canonical.exceptions],
    }


def doc_from_json(data: Mapping[str, Json]) -> ControlMapDoc:
    """A layer from its stored form (:func:`layer_json`)."""
    return ControlMapDoc.model_validate(dict(data))


def full_entry(entry: ControlEntry) -> ControlEntry:
    """The entry with every field given (an effective map's entries are complete)."""
    return ControlEntry(
        raci=Raci(
            responsible=list(entry.raci.responsible),
            accountable=entry.raci.accountable,
            consulted=list(entry.raci.consulted),
            informed=list(entry.raci.informed),
        ),
        status=entry.status,
        evidence=entry.evidence,
    )
