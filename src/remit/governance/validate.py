"""What a control-map document must satisfy beyond its shape: known control ids, ISO-8601
durations, no entry twice, names that are not empty.

:func:`problems` returns every problem with the path of the offending value in the document as
it was written (``("exceptions", 2, "control")``), so a YAML import can name the line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from remit.governance.model import ControlMapDoc, Raci
from remit.governance.paths import RACI_LETTERS, access_key, account_key
from remit.posture.catalog import Catalog, default_catalog

Location = tuple[str | int, ...]

# ISO 8601 durations as RTO/RPO are written: P1D, PT4H, PT30M, P1DT12H, P2W.
_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$"
)


@dataclass(frozen=True, slots=True)
class KnownIds:
    """The catalogue's control ids, and its check ids (exceptions may name either)."""

    controls: frozenset[str]
    checks: frozenset[str]

    @classmethod
    def of(cls, catalog: Catalog | None = None) -> KnownIds:
        source = catalog or default_catalog()
        return cls(frozenset(c.id for c in source.controls), frozenset(c.id for c in source.checks))


@dataclass(frozen=True, slots=True)
class Problem:
    location: Location
    message: str


def is_duration(text: str) -> bool:
    return bool(_DURATION.match(text))


def unknown_control(control_id: str, known: Iterable[str], what: str = "control id") -> str:
    close = difflib.get_close_matches(control_id, list(known), n=1, cutoff=0.6)
    hint = (
        f"; did you mean {close[0]!r}?" if close else "; `remit baseline show default` lists them"
    )
    return f"unknown {what} {control_id!r}{hint}"


def _raci(location: Location, raci: Raci) -> Iterable[Problem]:
    for letter in RACI_LETTERS:
        value = getattr(raci, letter)
        names = value if isinstance(value, list) else []
        for i, name in enumerate(names):
            if not name.strip():
                yield Problem((*location, letter, i), f"an empty name in {letter}")
        if len({n.strip().casefold() for n in names}) != len(names):
            yield Problem((*location, letter), f"a name appears twice in {letter}")


def problems(doc: ControlMapDoc, known: KnownIds) -> list[Problem]:
    """Every problem of ``doc`` (empty when it is valid)."""
    found: list[Problem] = []
    for control_id, entry in doc.controls.items():
        if control_id not in known.controls:
            found.append(
                Problem(("controls", control_id), unknown_control(control_id, known.controls))
            )
        found.extend(_raci(("controls", control_id, "raci"), entry.raci))
    for workload, objective in doc.objectives.items():
        where: Location = ("objectives", str(workload))
        for name in ("rto", "rpo"):
            value = getattr(objective, name)
            if not is_duration(value):
                found.append(
                    Problem(
                        (*where, name),
                        f"{name} {value!r} is not an ISO 8601 duration (e.g. PT4H, P1D)",
                    )
                )
        if not objective.owner.strip():
            found.append(Problem((*where, "owner"), "the business owner is empty"))
    seen: dict[str, int] = {}
    for i, access in enumerate(doc.privileged_access):
        for name in ("principal", "role"):
            if not getattr(access, name).strip():
                found.append(Problem(("privileged_access", i, name), f"the {name} is empty"))
        key = access_key(access).casefold()
        if key in seen:
            found.append(
                Problem(
                    ("privileged_access", i),
                    f"{access.principal} is approved for {access.role} twice "
                    f"(entries {seen[key] + 1} and {i + 1})",
                )
            )
        seen.setdefault(key, i)
    accounts: set[str] = set()
    for i, account in enumerate(doc.emergency_accounts):
        if not account.strip():
            found.append(Problem(("emergency_accounts", i), "an empty emergency account"))
        elif account_key(account) in accounts:
            found.append(Problem(("emergency_accounts", i), f"{account} is listed twice"))
        accounts.add(account_key(account))
    excepted: set[str] = set()
    for i, exception in enumerate(doc.exceptions):
        where = ("exceptions", i)
        control = exception.control.strip()
        if control not in known.controls and control not in known.checks:
            found.append(
                Problem(
                    (*where, "control"),
                    unknown_control(control, known.controls | known.checks, "control or check id"),
                )
            )
        elif control in excepted:
            found.append(Problem(where, f"two exceptions for {control}: keep one"))
        excepted.add(control)
        if not exception.reason.strip():
            found.append(Problem((*where, "reason"), "the reason is empty"))
        if exception.signed_off_at is not None and not exception.signed_off_by.strip():
            found.append(
                Problem((*where, "signed_off_by"), "signed_off_at is given but not who signed off")
            )
    return found
