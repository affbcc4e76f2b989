"""YAML export and import: a stable, reviewable layout; export → import → export is
byte-identical (also for generated documents); a file with a problem is rejected whole, naming
the file and the line."""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from remit.errors import InvalidInput
from remit.governance.defaults import shipped_default
from remit.governance.model import (
    AccessKind,
    ApprovedAccess,
    ControlEntry,
    ControlException,
    ControlMapDoc,
    ImplementationStatus,
    Raci,
    RecoveryObjective,
    Workload,
)
from remit.governance.paths import normalize
from remit.governance.validate import KnownIds
from remit.governance.yamlio import dump_yaml, load_yaml

KNOWN = KnownIds.of()
CONTROLS = sorted(KNOWN.controls)
CHECKS = sorted(KNOWN.checks)

SAMPLE = """\
# Reviewed in PR 42: comments are fine anywhere.
controls:
  identity.mfa-all-users:
    raci:
      responsible: [MSP service desk]   # the desk runs it
      accountable: Ana (client CIO)
    status: implemented
objectives:
  exchange: {rto: PT4H, rpo: PT1H, owner: Ana}
privileged_access:
  - principal: Ana@Contoso.com
    role: global administrator
    kind: eligible
    until: 2027-01-31
emergency_accounts: [bg1@contoso.com, bg2@contoso.com]
exceptions:
  - control: MS.AAD.3.2
    reason: legacy scanner cannot do MFA
    compensating_control: named location only
    expires: 2027-03-01
    signed_off_by: cfo@contoso.com
    signed_off_at: 2026-11-20T10:30:00+01:00
"""


def test_a_file_with_comments_and_flow_style_is_read() -> None:
    doc = load_yaml(SAMPLE, "map.yaml")
    entry = doc.controls["identity.mfa-all-users"]
    assert entry.raci.accountable == "Ana (client CIO)"
    assert entry.model_fields_set == {"raci", "status"}  # what the file sets, nothing else
    assert entry.raci.model_fields_set == {"responsible", "accountable"}
    assert doc.objectives[Workload.EXCHANGE].rpo == "PT1H"
    [access] = doc.privileged_access
    assert (access.principal, access.role) == ("ana@contoso.com", "Global Administrator")
    assert access.until == date(2027, 1, 31)
    [exception] = doc.exceptions
    assert exception.signed_off_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_export_is_stable_and_round_trips_byte_for_byte() -> None:
    doc = load_yaml(SAMPLE, "map.yaml")
    first = dump_yaml(doc, header="tenant contoso's layer")
    assert first.startswith("# tenant contoso's layer\ncontrols:\n")
    assert "      responsible: [MSP service desk]\n" in first
    assert "    signed_off_at: 2026-11-20T09:30:00Z\n" in first
    assert "    until: 2027-01-31\n" in first
    again = load_yaml(first, "export.yaml")
    assert dump_yaml(again, header="tenant contoso's layer") == first
    assert again == doc


def test_the_full_form_writes_every_control_field() -> None:
    doc = ControlMapDoc(
        controls={"backup.teams": ControlEntry(status=ImplementationStatus.PARTIAL)}
    )
    layer = dump_yaml(doc)
    full = dump_yaml(doc, full=True)
    assert "raci" not in layer
    assert "evidence" not in layer
    assert "      accountable: ''\n" in full
    assert "    evidence: ''\n" in full
    assert dump_yaml(load_yaml(full, "full.yaml"), full=True) == full


def test_the_shipped_default_round_trips() -> None:
    shipped = shipped_default()
    text = dump_yaml(shipped)
    assert dump_yaml(load_yaml(text, "default.yaml")) == text


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("controls:\n  identity.mfa-al-users:\n    status: planned\n", 2,
         "unknown control id 'identity.mfa-al-users'; did you mean 'identity.mfa-all-users'?"),
        ("controls:\n  backup.teams:\n    statuz: planned\n", 3,
         "controls.backup.teams: unknown key 'statuz' (expected raci, status, evidence)"),
        ("controls:\n  backup.teams:\n    status: done\n", 3,
         "controls.backup.teams.status: Input should be 'implemented', 'partial'"),
        ("privileged_access:\n  - principal: a@b.c\n    role: Global Administrator\n"
         "    until: 2026-13-01\n", 4, "'2026-13-01' is not a valid date"),
        ("privileged_access:\n  - principal: a@b.c\n    role: Global Administrator\n"
         "    until: next week\n", 4, "privileged_access.0.until: Input should be a valid date"),
        ("privileged_access:\n  - principal: a@b.c\n    role: Reader\n    kind: permanent\n", 4,
         "privileged_access.0.kind: Input should be 'eligible' or 'active'"),
        ("privileged_access:\n  - principal: a@b.c\n", 2, "privileged_access.0.role is required"),
        ("privileged_access:\n  - {principal: a@b.c, role: Reader}\n"
         "  - {principal: A@B.C, role: reader}\n", 3,
         "A@B.C is approved for reader twice (entries 1 and 2)"),
        ("objectives:\n  exchange: {rto: 4 hours, rpo: P1D, owner: Ana}\n", 2,
         "rto '4 hours' is not an ISO 8601 duration"),
        ("objectives:\n  yammer: {rto: PT4H, rpo: P1D, owner: Ana}\n", 2, "objectives.yammer"),
        ("exceptions:\n  - control: MS.AAD.99.1\n    reason: x\n    expires: 2027-01-01\n", 2,
         "unknown control or check id 'MS.AAD.99.1'"),
        ("emergency_accounts: [a@b.c, A@b.c]\n", 1, "A@b.c is listed twice"),
        ("controls: {}\ncontrols: {}\n", 2, "duplicate key 'controls'"),
        ("controls:\n  backup.teams: [\n", 3, ""),
        ("surprise: 1\n", 1, "top level: unknown key 'surprise'"),
        ("- a list\n", 1, "expected a mapping of sections"),
        ("# only a comment\n", 1, "the file is empty"),
    ],
)  # fmt: skip
def test_a_bad_file_is_rejected_naming_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_yaml(text, "layer.yaml")
    error = str(caught.value)
    assert error.startswith(f"layer.yaml:{line}: "), error
    assert message in error
    assert "\n" not in error


def test_several_problems_report_the_first_by_line_and_count_the_rest() -> None:
    text = "controls:\n  backup.teams: {}\n  nope.two: {}\n  nope.one: {}\n"
    with pytest.raises(
        InvalidInput, match=r"^f\.yaml:3: unknown .*'nope.two'.*\(and 1 more problem\)$"
    ):
        load_yaml(text, "f.yaml")
    pydantic = "controls:\n  backup.teams: {status: done}\n  backup.onedrive: {status: nah}\n"
    with pytest.raises(InvalidInput, match=r"^f\.yaml:2: .*backup.teams.*\(and 1 more problem\)$"):
        load_yaml(pydantic, "f.yaml")


# --- generated documents ------------------------------------------------------------------------

_ALPHABET = string.ascii_letters + string.digits + " -_.,:;#'\"[]{}&*!|>%@`?é中\t"
_TRICKY = ["yes", "no", "null", "~", "123", "1.5", "2026-01-01", "", " lead", "trail ", "a: b",
           "- x", "#x", "multi\nline", "tab\there", "'quoted'", '"dq"', "@at", "{x}", "[y]",
           "nel\x85x", "ls\u2028x", "bell\x07"]  # fmt: skip


def _text(rng: random.Random, *, empty: bool = True) -> str:
    if rng.random() < 0.3:
        choice = rng.choice(_TRICKY)
        if choice or empty:
            return choice
    length = rng.randint(1 if not empty else 0, 30)
    return "".join(rng.choice(_ALPHABET) for _ in range(length)) or "x"


def _name(rng: random.Random) -> str:
    return _text(rng, empty=False).strip() or "name"


def _generated(rng: random.Random) -> ControlMapDoc:
    controls = {}
    for control in rng.sample(CONTROLS, rng.randint(0, 6)):
        fields: dict[str, object] = {}
        if rng.random() < 0.7:
            letters: dict[str, object] = {}
            for letter in ("responsible", "consulted", "informed"):
                if rng.random() < 0.6:
                    letters[letter] = list(
                        dict.fromkeys(_name(rng) for _ in range(rng.randint(0, 3)))
                    )
            if rng.random() < 0.6:
                letters["accountable"] = _text(rng)
            fields["raci"] = Raci.model_validate(letters)
        if rng.random() < 0.5:
            fields["status"] = rng.choice(list(ImplementationStatus))
        if rng.random() < 0.5:
            fields["evidence"] = _text(rng)
        controls[control] = ControlEntry.model_validate(fields)
    objectives = {
        workload: RecoveryObjective(
            rto=rng.choice(["PT4H", "P1D", "PT30M", "P1DT12H"]), rpo="PT1H", owner=_name(rng)
        )
        for workload in rng.sample(list(Workload), rng.randint(0, 5))
    }
    access = {}
    for _ in range(rng.randint(0, 4)):
        item = ApprovedAccess(
            principal=_name(rng),
            role=rng.choice(["Global Administrator", "Exchange Administrator", _name(rng)]),
            kind=rng.choice(list(AccessKind)),
            until=rng.choice([None, date(2027, 1, 1) + timedelta(days=rng.randint(0, 900))]),
            contractor_until=rng.choice([None, date(2026, 6, 30)]),
            approved_by=_text(rng),
            ticket=_text(rng),
        )
        access[(item.principal.strip().lower(), item.role.strip().lower())] = item
    exceptions = {}
    for _ in range(rng.randint(0, 3)):
        signed = rng.random() < 0.5
        zone = timezone(timedelta(hours=rng.randint(-12, 12)))
        exception = ControlException(
            control=rng.choice(CONTROLS + CHECKS),
            reason=_name(rng),
            compensating_control=_text(rng),
            expires=date(2026, 1, 1) + timedelta(days=rng.randint(0, 2000)),
            signed_off_by=_name(rng) if signed else "",
            signed_off_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=zone) if signed else None,
        )
        exceptions[exception.control] = exception
    accounts = list(dict.fromkeys(_name(rng).lower() for _ in range(rng.randint(0, 3))))
    return ControlMapDoc(
        controls=controls,
        objectives=objectives,
        privileged_access=list(access.values()),
        emergency_accounts=accounts,
        exceptions=list(exceptions.values()),
    )


@pytest.mark.parametrize("seed", range(60))
def test_generated_documents_round_trip(seed: int) -> None:
    doc = _generated(random.Random(seed))
    for full in (False, True):
        text = dump_yaml(doc, full=full, header=f"generated {seed}")
        loaded = load_yaml(text, "generated.yaml")
        assert dump_yaml(loaded, full=full, header=f"generated {seed}") == text
    assert load_yaml(dump_yaml(doc), "generated.yaml") == normalize(doc)
