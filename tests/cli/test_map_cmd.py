"""`remit map` end to end: editing verbs as revisions, show/export/import, history, diff,
rollback, seeding from a collection of the emulator, and bad input (one line, exit code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.domain import AuthKind, TenantCredentials
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.workspace import Workspace
from tests.cli.runner import Cli, json_of
from tests.inventory.helpers import control

MFA = "identity.mfa-all-users"
APP = "99999999-9999-4999-8999-999999999999"


@pytest.fixture
def mapped(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A workspace with tenants contoso and fabrikam (stored, never contacted)."""
    path = tmp_path / "ws"
    with Workspace.create(path, environ={}) as workspace, workspace.session() as session:
        for n, name in enumerate(("contoso", "fabrikam"), start=1):
            tenant_id = f"{n}1111111-1111-4111-8111-111111111111"
            credentials = TenantCredentials(tenant_id, APP, AuthKind.CLIENT_SECRET, "s")
            workspace.tenants(session).add(credentials, name=name)
    cli.workspace = path
    monkeypatch.setenv("REMIT_AUTHOR", "tech@msp.example")
    return cli


def history(cli: Cli, tenant: str = "contoso") -> list[dict[str, object]]:
    found: list[dict[str, object]] = json_of(cli.ok("map", "history", "-t", tenant, "--json"))
    return found


def test_editing_verbs_store_revisions_that_show_reflects(mapped: Cli) -> None:
    out = mapped.ok("map", "raci", MFA, "-t", "contoso", "-A", "Ana (client CIO)",
                    "-R", "MSP service desk", "-R", "Client IT", "--reason", "T-1").out  # fmt: skip
    assert out.startswith("tenant contoso: revision 1 stored (2 changes)")
    mapped.ok("map", "status", MFA, "-t", "contoso", "--status", "implemented",
              "--evidence", "CA export", "--reason", "T-2", "--author", "lead@msp")  # fmt: skip
    mapped.ok("map", "objective", "exchange", "-t", "contoso", "--rto", "PT2H", "--reason", "T-3")
    mapped.ok("map", "approve", "ana@contoso.com", "Global Administrator", "-t", "contoso",
              "--active", "--until", "2027-01-31", "--contractor-until", "2026-12-31",
              "--ticket", "CHG-9", "--reason", "T-4")  # fmt: skip
    mapped.ok("map", "approve", "bob@contoso.com", "Exchange Administrator", "-t", "contoso",
              "--approved-by", "cfo@contoso.com", "--reason", "T-5")  # fmt: skip
    mapped.ok("map", "emergency", "bg1@contoso.com", "BG2@contoso.com", "-t", "contoso",
              "--reason", "T-6")  # fmt: skip
    mapped.ok("map", "exception", "add", "MS.AAD.3.2", "-t", "contoso", "--justification",
              "legacy scanner", "--compensating", "named location", "--expires", "2099-01-31",
              "--signed-off-by", "cfo@contoso.com", "--signed-off-at", "2026-11-20T10:00Z",
              "--reason", "T-7")  # fmt: skip
    revisions = history(mapped)
    assert [r["revision"] for r in revisions] == [7, 6, 5, 4, 3, 2, 1]
    assert revisions[-1]["author"] == "tech@msp.example"  # $REMIT_AUTHOR
    assert revisions[-2]["author"] == "lead@msp"  # --author wins
    assert revisions[0]["reason"] == "T-7"

    shown = json_of(mapped.ok("map", "show", "-t", "contoso", "--json", "--explain"))
    effective = shown["map"]
    assert effective["controls"][MFA]["raci"]["accountable"] == "Ana (client CIO)"
    assert effective["controls"][MFA]["status"] == "implemented"
    assert effective["objectives"]["exchange"] == {
        "rto": "PT2H",
        "rpo": "P1D",
        "owner": "Client business owner",
    }
    access = {(a["principal"], a["role"]): a for a in effective["privileged_access"]}
    assert access[("ana@contoso.com", "Global Administrator")]["kind"] == "active"
    assert access[("ana@contoso.com", "Global Administrator")]["approved_by"] == "tech@msp.example"
    assert access[("bob@contoso.com", "Exchange Administrator")]["kind"] == "eligible"
    assert effective["emergency_accounts"] == ["bg1@contoso.com", "bg2@contoso.com"]
    assert shown["exception_states"] == {"MS.AAD.3.2": "active"}
    assert shown["sources"][f"controls[{MFA}].status"] == "tenant contoso"
    assert shown["sources"][f"controls[{MFA}].evidence"] == "tenant contoso"
    assert shown["sources"]["controls[backup.teams].status"] == "baseline default"
    assert [layer["label"] for layer in shown["layers"]] == ["baseline default", "tenant contoso"]

    table = mapped.ok("map", "show", "-t", "contoso", "--explain").out
    assert "contoso — effective control map" in table
    assert "Set by" in table
    assert "legacy scanner" in table

    mapped.ok("map", "revoke", "bob@contoso.com", "-t", "contoso", "--reason", "left")
    mapped.ok("map", "exception", "remove", "MS.AAD.3.2", "-t", "contoso", "--reason", "fixed")
    mapped.ok("map", "reset", MFA, "-t", "contoso", "--reason", "back to the baseline")
    after = json_of(mapped.ok("map", "show", "-t", "contoso", "--json"))["map"]
    assert [a["principal"] for a in after["privileged_access"]] == ["ana@contoso.com"]
    assert after["exceptions"] == []
    assert after["controls"][MFA]["status"] == "planned"
    assert len(history(mapped)) == 10
    assert history(mapped, "fabrikam") == []  # the other tenant never changed


def test_export_import_export_is_byte_identical(mapped: Cli, tmp_path: Path) -> None:
    mapped.ok("map", "raci", MFA, "-t", "contoso", "-A", "Ana: CIO", "--reason", "r")
    mapped.ok("map", "approve", "ana@contoso.com", "Global Administrator", "-t", "contoso",
              "--until", "2027-01-31", "--reason", "r")  # fmt: skip
    exported = mapped.ok("map", "export", "-t", "contoso").out
    assert exported.startswith("# Remit control map: tenant contoso's own layer")
    file = tmp_path / "contoso.yaml"
    file.write_text(exported + "# a reviewer's comment, ignored\n", encoding="utf-8")
    unchanged = mapped.ok("map", "import", str(file), "-t", "contoso", "--reason", "no-op")
    assert "nothing changed" in unchanged.out
    assert mapped.ok("map", "export", "-t", "contoso").out == exported
    # Importing into another tenant copies the layer; its export is the same but for the name.
    mapped.ok("map", "import", str(file), "-t", "fabrikam", "--reason", "same as contoso")
    copied = mapped.ok("map", "export", "-t", "fabrikam").out
    assert copied == exported.replace("contoso's", "fabrikam's").replace(
        "-t contoso", "-t fabrikam"
    )
    effective = mapped.ok("map", "export", "-t", "contoso", "--layer", "effective").out
    assert "identity.legacy-auth-blocked:" in effective  # every control, merged
    # The effective map imported as a layer pins every value: the effective map is the same.
    file.write_text(effective, encoding="utf-8")
    mapped.ok("map", "import", str(file), "-t", "fabrikam", "--reason", "pin everything")
    pinned = mapped.ok("map", "export", "-t", "fabrikam", "--layer", "effective").out
    assert pinned == effective.replace("of tenant contoso", "of tenant fabrikam")


def test_a_bad_import_is_rejected_whole_with_file_and_line(mapped: Cli, tmp_path: Path) -> None:
    mapped.ok("map", "raci", MFA, "-t", "contoso", "-A", "Ana", "--reason", "r")
    before = mapped.ok("map", "export", "-t", "contoso").out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "controls:\n"
        f"  {MFA}:\n"
        "    status: implemented\n"
        "  identity.legacy-auth-blockd:\n"
        "    status: implemented\n",
        encoding="utf-8",
    )
    result = mapped("map", "import", str(bad), "-t", "contoso", "--reason", "r")
    assert result.code == 9
    line = result.one_error_line()
    assert f"{bad}:4: unknown control id 'identity.legacy-auth-blockd'" in line
    assert "did you mean 'identity.legacy-auth-blocked'" in line
    assert mapped.ok("map", "export", "-t", "contoso").out == before
    assert len(history(mapped)) == 1
    missing = mapped("map", "import", str(tmp_path / "nope.yaml"), "-t", "contoso", "--reason", "r")
    assert missing.code == 9
    assert "no such file" in missing.one_error_line()


def test_show_marks_an_expired_exception(mapped: Cli, tmp_path: Path) -> None:
    file = tmp_path / "layer.yaml"
    file.write_text(
        "exceptions:\n"
        "  - {control: MS.AAD.3.2, reason: pilot, expires: 2020-01-31, signed_off_by: cfo}\n"
        "  - {control: MS.AAD.7.1, reason: merger, expires: 2099-01-31}\n",
        encoding="utf-8",
    )
    mapped.ok("map", "import", str(file), "-t", "contoso", "--reason", "history")
    shown = json_of(mapped.ok("map", "show", "-t", "contoso", "--json"))
    assert shown["exception_states"] == {"MS.AAD.3.2": "expired", "MS.AAD.7.1": "not signed off"}
    table = mapped.ok("map", "show", "-t", "contoso").out
    assert "expired" in table
    assert "not signed off" in table


def test_diff_and_rollback(mapped: Cli) -> None:
    for name in ("Ana", "Bo"):
        mapped.ok("map", "raci", MFA, "-t", "contoso", "-A", name, "--reason", f"set {name}")
    found = json_of(mapped.ok("map", "diff", "-t", "contoso", "--json"))
    assert (found["from"]["revision"], found["to"]["revision"]) == (1, 2)
    [change] = found["changes"]
    assert (change["change"], change["before"], change["after"]) == ("changed", "Ana", "Bo")
    text = mapped.ok("map", "diff", "-t", "contoso", "--from", "0", "--to", "1").out
    assert "the empty layer → revision 1" in text
    assert f"+ controls[{MFA}].raci.accountable: Ana" in text
    rolled = mapped.ok("map", "rollback", "1", "-t", "contoso", "--reason", "Bo was a mistake").out
    assert "revision 3 stored, restoring revision 1" in rolled
    latest = history(mapped)[0]
    assert (latest["revision"], latest["restored_from"]) == (3, 1)
    assert (
        json_of(mapped.ok("map", "show", "-t", "contoso", "--json"))["map"]["controls"][MFA][
            "raci"
        ]["accountable"]
        == "Ana"
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["map", "show", "-t", "nowhere"], 5, "no tenant 'nowhere'"),
        (["map", "raci", "nope.control", "-t", "contoso", "-A", "x", "--reason", "r"], 9,
         "unknown control id 'nope.control'"),
        (["map", "raci", MFA, "-t", "contoso", "-A", "x"], 2, "--reason"),
        (["map", "raci", MFA, "-t", "contoso", "-A", "x", "--reason", " "], 9, "--reason is empty"),
        (["map", "raci", MFA, "-t", "contoso", "-A", "x", "--reason", "r", "--author", ""], 9,
         "--author is empty"),
        (["map", "approve", "a@b.c", "Reader", "-t", "contoso", "--until", "31/12/2026",
          "--reason", "r"], 9, "--until '31/12/2026': give a date as YYYY-MM-DD"),
        (["map", "exception", "add", MFA, "-t", "contoso", "--justification", "j",
          "--expires", "2020-01-01", "--reason", "r"], 9, "is in the past"),
        (["map", "objective", "teams", "-t", "contoso", "--rto", "4 hours", "--reason", "r"], 9,
         "not an ISO 8601 duration"),
        (["map", "revoke", "nobody@x", "-t", "contoso", "--reason", "r"], 5, "nothing to revoke"),
        (["map", "rollback", "4", "-t", "contoso", "--reason", "r"], 5, "has no revision 4"),
        (["map", "diff", "-t", "contoso"], 5, "has no revisions yet"),
        (["map", "seed", "-t", "contoso", "--reason", "r"], 5, "no usable snapshot"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_with_its_exit_code(
    mapped: Cli, args: list[str], code: int, message: str
) -> None:
    result = mapped(*args)
    assert result.code == code, result.err
    assert message in result.one_error_line()
    assert history(mapped) == []  # nothing was stored


def test_seed_approves_what_the_emulated_tenant_has(
    added: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    contoso = tenants[0]
    added.ok("inventory", "collect", "-t", "contoso")
    out = added.ok("map", "seed", "-t", "contoso", "--reason", "onboarding", "--ticket", "ONB-1",
                   "--author", "tech@msp.example").out  # fmt: skip
    assert "1 approval(s) and 1 emergency account(s) added" in out
    first = f"user000@{contoso.primary_domain}"
    shown = json_of(added.ok("map", "show", "-t", "contoso", "--json"))["map"]
    [access] = shown["privileged_access"]
    assert (access["principal"], access["role"], access["kind"]) == (
        first,
        "Global Administrator",
        "active",
    )
    assert (access["ticket"], access["approved_by"]) == ("ONB-1", "tech@msp.example")
    assert shown["emergency_accounts"] == [first]  # unlicensed, cloud-only, permanent
    # A new Global Administrator appears in the tenant; seeding again approves only it.
    control(server, "POST", f"tenants/{contoso.tenant_id}/scenarios/new-global-admin",
            {"upn": f"intruder@{contoso.primary_domain}"})  # fmt: skip
    added.ok("inventory", "collect", "-t", "contoso")
    again = added.ok("map", "seed", "-t", "contoso", "--reason", "accepted after review").out
    assert "1 approval(s)" in again
    principals = [
        a["principal"]
        for a in json_of(added.ok("map", "show", "-t", "contoso", "--json"))["map"][
            "privileged_access"
        ]
    ]
    assert principals == [f"intruder@{contoso.primary_domain}", first]
