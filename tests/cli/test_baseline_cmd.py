"""`remit baseline` end to end: tiers, assignment, export → plan → apply, history, diff,
rollback, and bad input (one line, exit code, nothing stored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.runner import Cli, json_of
from tests.cli.test_map_cmd import mapped

__all__ = ["mapped"]  # the fixture, shared with the map tests

MFA = "identity.mfa-all-users"
PHISH = "identity.phishing-resistant-mfa"
TIER = f"""\
# The regulated tier: phishing-resistant MFA is in place, the client's CISO is accountable.
controls:
  {MFA}:
    raci:
      accountable: Client CISO
  {PHISH}:
    status: implemented
"""


def test_a_tier_from_creation_to_rollback(mapped: Cli, tmp_path: Path) -> None:
    created = mapped.ok("baseline", "create", "regulated", "--tier", "--reason", "PCI clients")
    assert "tier regulated created (revision 1)" in created.out
    assigned = mapped.ok("baseline", "assign", "regulated", "-t", "contoso", "--reason", "PCI")
    assert "tenant contoso: default → regulated (0 changes" in assigned.out
    mapped.ok("map", "raci", MFA, "-t", "contoso", "-A", "Ana (CIO)", "--reason", "client asked")

    listed = {b["name"]: b for b in json_of(mapped.ok("baseline", "list", "--json"))}
    assert listed["default"]["tenants"] == ["contoso", "fabrikam"]
    assert listed["regulated"]["tenants"] == ["contoso"]
    assert listed["regulated"]["kind"] == "tier"

    file = tmp_path / "regulated.yaml"
    file.write_text(TIER, encoding="utf-8")
    plan = json_of(mapped.ok("baseline", "plan", "regulated", str(file), "--json"))
    assert (plan["using"], plan["revision"]) == (1, 1)
    [contoso] = plan["tenants"]
    assert [c["path"] for c in contoso["changes"]] == [f"controls[{PHISH}].status"]
    assert contoso["conflicts"] == [
        {
            "path": f"controls[{MFA}].raci.accountable",
            "masked_by": "tenant contoso",
            "override": "Ana (CIO)",
            "proposed": "Client CISO",
        }
    ]
    text = mapped.ok("baseline", "plan", "regulated", str(file)).out
    assert "1 of 1 tenant using it would change" in text
    assert "kept as Ana (CIO) by tenant contoso" in text
    assert mapped.ok("baseline", "history", "regulated", "--json").out.count('"revision"') == 1

    applied = mapped.ok("baseline", "apply", "regulated", str(file), "--reason", "PCI DSS 8.4")
    assert "tier regulated: revision 2 stored (2 changes)" in applied.out
    assert "1 of 1 tenant(s) using regulated changed: contoso" in applied.out
    shown = json_of(mapped.ok("map", "show", "-t", "contoso", "--json", "--explain"))
    assert shown["map"]["controls"][PHISH]["status"] == "implemented"
    assert shown["sources"][f"controls[{PHISH}].status"] == "tier regulated"
    assert shown["tier"] == "regulated"

    exported = mapped.ok("baseline", "export", "regulated").out
    assert f"  {PHISH}:\n    status: implemented\n" in exported
    assert "Client CISO" in mapped.ok("baseline", "show", "regulated").out
    assert json_of(mapped.ok("baseline", "show", "regulated", "--json"))["revision"] == 2

    found = json_of(mapped.ok("baseline", "diff", "regulated", "--json"))
    assert len(found["changes"]) == 2
    rollback_plan = json_of(mapped.ok("baseline", "plan", "regulated", "--revision", "1", "--json"))
    assert [c["after"] for c in rollback_plan["tenants"][0]["changes"]] == ["planned"]
    rolled = mapped.ok("baseline", "rollback", "regulated", "1", "--reason", "audit moved").out
    assert "revision 3 stored, restoring revision 1" in rolled
    revisions = json_of(mapped.ok("baseline", "history", "regulated", "--json"))
    assert [(r["revision"], r["restored_from"]) for r in revisions] == [
        (3, 1),
        (2, None),
        (1, None),
    ]
    back = mapped.ok("baseline", "assign", "default", "-t", "contoso", "--reason", "no PCI")
    assert "tenant contoso: regulated → default (0 changes" in back.out  # the tier is empty again
    assert json_of(mapped.ok("map", "show", "-t", "contoso", "--json"))["tier"] is None


def test_the_default_baseline_is_changed_through_export_plan_apply(
    mapped: Cli, tmp_path: Path
) -> None:
    exported = mapped.ok("baseline", "export", "default").out
    assert exported.startswith("# Remit control map: baseline default.")
    changed = exported.replace("accountable: MSP service manager", "accountable: Head of service")
    file = tmp_path / "default.yaml"
    file.write_text(changed, encoding="utf-8")
    plan = json_of(mapped.ok("baseline", "plan", "default", str(file), "--json"))
    assert plan["using"] == 2
    assert {t["tenant"] for t in plan["tenants"]} == {"contoso", "fabrikam"}
    assert len(plan["layer_changes"]) == exported.count("accountable: MSP service manager")
    mapped.ok("baseline", "apply", "default", str(file), "--reason", "new org chart")
    assert mapped.ok("baseline", "export", "default").out == changed
    history = json_of(mapped.ok("baseline", "history", "default", "--json"))
    assert [(r["revision"], r["author"]) for r in history] == [
        (2, "tech@msp.example"),
        (1, "remit"),
    ]
    again = mapped.ok("baseline", "apply", "default", str(file), "--reason", "twice")
    assert "nothing changed" in again.out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["baseline", "show", "gold"], 5, "no baseline 'gold'"),
        (["baseline", "export", "gold"], 5, "no baseline 'gold'"),
        (["baseline", "assign", "gold", "-t", "contoso", "--reason", "r"], 5, "no baseline 'gold'"),
        (["baseline", "assign", "default", "-t", "nowhere", "--reason", "r"], 5, "no tenant"),
        (["baseline", "create", "default", "--reason", "r"], 2, "'default' already exists"),
        (["baseline", "create", "Gold Tier", "--reason", "r"], 9, "is not usable"),
        (["baseline", "plan", "default"], 9, "give the changed baseline FILE, or --revision"),
        (["baseline", "plan", "default", "--revision", "7"], 5, "has no revision 7"),
        (["baseline", "rollback", "default", "7", "--reason", "r"], 5, "has no revision 7"),
        (["baseline", "apply", "default", "-", "--reason", "r"], 9, "<stdin>:1: the file is empty"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_with_its_exit_code(
    mapped: Cli, args: list[str], code: int, message: str
) -> None:
    result = mapped(*args)
    assert result.code == code, result.err
    assert message in result.one_error_line()
    history = json_of(mapped.ok("baseline", "history", "default", "--json"))
    assert [r["revision"] for r in history] == [1]  # only the shipped default was stored


def test_a_bad_baseline_file_is_rejected_whole(mapped: Cli, tmp_path: Path) -> None:
    file = tmp_path / "default.yaml"
    file.write_text(
        mapped.ok("baseline", "export", "default").out.replace(
            "status: planned", "status: someday", 1
        ),
        encoding="utf-8",
    )
    result = mapped("baseline", "apply", "default", str(file), "--reason", "r")
    assert result.code == 9
    line = result.one_error_line()
    assert line.startswith(f"error: {file}:")
    assert ".status: Input should be 'implemented'" in line
    assert len(json_of(mapped.ok("baseline", "history", "default", "--json"))) == 1
