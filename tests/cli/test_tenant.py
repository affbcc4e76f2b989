"""`remit tenant add|list|show|update|remove|test` against the emulator's Entra ID and Graph.

A tenant is stored only once Entra ID issued a token and Graph answered; every refusal is one
line with its documented exit code, and nothing is stored. No command ever prints a secret (the
runner checks every command's output for every secret these tests use).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from remit.emulator.fixture import ALL_PERMISSIONS
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.store.models import Blob, Snapshot, SnapshotEntry
from remit.workspace import Workspace
from tests.cli.runner import Cli, add_args, json_of
from tests.emulator.certs import make_certificate
from tests.inventory.helpers import control

TENANT_FIELDS = {
    "name", "tenant_id", "display_name", "primary_domain", "client_id", "auth_kind",
    "secret_fingerprint", "created_at", "last_test_at", "last_test_result",
}  # fmt: skip


def stored_tenants(cli: Cli) -> list[dict[str, Any]]:
    result = cli.ok("tenant", "list", "--json")
    rows: list[dict[str, Any]] = json_of(result)
    return rows


def stored_secret(cli: Cli, ref: str) -> str:
    assert cli.workspace is not None
    with Workspace.open(cli.workspace) as workspace, workspace.session() as session:
        repo = workspace.tenants(session)
        return repo.credentials(repo.get(ref)).secret


def certificate_file(
    cli: Cli, server: EmulatorServer, spec: TenantSpec, tmp_path: Path, *, expired: bool = False
) -> tuple[Path, str]:
    """A certificate registered on the app in ``spec``'s tenant; (PEM file, expiry date)."""
    cert_pem, key_pem = make_certificate(expired=expired)
    answer = control(server, "POST", f"tenants/{spec.tenant_id}/certificates", {"pem": cert_pem})
    path = tmp_path / ("expired.pem" if expired else "app.pem")
    path.write_text(cert_pem + key_pem)
    cli.keep_secret(key_pem, *key_pem.splitlines()[1:-1])  # the private key, line by line
    return path, str(answer["not_after"])[:10]


# --- add ------------------------------------------------------------------------------------


def test_add_with_a_secret_stores_the_tenant_as_entra_id_names_it(
    ready: Cli, tenants: list[TenantSpec]
) -> None:
    spec = tenants[2]  # synthetic: its organization lists verified domains

    result = ready.ok(*add_args(spec))

    assert spec.tenant_id in result.out
    [row] = stored_tenants(ready)
    assert set(row) == TENANT_FIELDS | {"last_snapshot"}
    assert row["tenant_id"] == spec.tenant_id
    assert row["display_name"] == spec.display_name
    assert row["primary_domain"] == spec.primary_domain
    assert row["name"] == spec.primary_domain.split(".")[0]
    assert row["auth_kind"] == "client_secret"
    assert row["last_snapshot"] is None
    assert stored_secret(ready, spec.tenant_id) == spec.client_secret


def test_add_reads_the_secret_from_stdin(ready: Cli, tenants: list[TenantSpec]) -> None:
    spec = tenants[0]

    result = ready.ok(
        *add_args(spec, "--name", "contoso", "--json", secret="-"), stdin=spec.client_secret + "\n"
    )

    row = json_of(result)
    assert set(row) == TENANT_FIELDS
    assert row["name"] == "contoso"
    assert stored_secret(ready, "contoso") == spec.client_secret


def test_add_with_a_certificate_and_use_it(
    ready: Cli, server: EmulatorServer, tenants: list[TenantSpec], tmp_path: Path
) -> None:
    spec = tenants[0]
    pem, _ = certificate_file(ready, server, spec, tmp_path)

    ready.ok(
        "tenant", "add", "--tenant-id", spec.tenant_id, "--client-id", spec.client_id,
        "--certificate", str(pem), "--name", "contoso",
    )  # fmt: skip

    [row] = stored_tenants(ready)
    assert row["auth_kind"] == "certificate"
    assert stored_secret(ready, "contoso") == pem.read_text()  # encrypted at rest, PEM in memory
    tested = ready.ok("tenant", "test", "contoso", "--json")  # a token from the stored certificate
    assert json_of(tested)["token_ok"] is True


def test_a_wrong_secret_exits_6_with_one_line_and_stores_nothing(
    ready: Cli, tenants: list[TenantSpec]
) -> None:
    wrong = "Emu8Q~this-is-not-the-secret-0123456789"
    ready.keep_secret(wrong)

    result = ready(*add_args(tenants[0], secret=wrong))

    assert result.code == 6
    line = result.one_error_line()
    assert "client secret" in line
    assert tenants[0].tenant_id in line
    assert "--client-secret" in line  # tells how to fix it
    assert stored_tenants(ready) == []


def test_an_unknown_tenant_id_exits_6_with_one_line_and_stores_nothing(
    ready: Cli, tenants: list[TenantSpec]
) -> None:
    unknown = "0badc0de-0000-4000-8000-000000000000"
    spec = tenants[0]

    result = ready(
        "tenant", "add", "--tenant-id", unknown, "--client-id", spec.client_id,
        "--client-secret", spec.client_secret,
    )  # fmt: skip

    assert result.code == 6
    assert unknown in result.one_error_line()
    assert stored_tenants(ready) == []


def test_an_expired_certificate_exits_6_naming_its_expiry_and_stores_nothing(
    ready: Cli, server: EmulatorServer, tenants: list[TenantSpec], tmp_path: Path
) -> None:
    spec = tenants[0]
    pem, expired_on = certificate_file(ready, server, spec, tmp_path, expired=True)

    result = ready(
        "tenant", "add", "--tenant-id", spec.tenant_id, "--client-id", spec.client_id,
        "--certificate", str(pem),
    )  # fmt: skip

    assert result.code == 6
    line = result.one_error_line()
    assert "expired" in line
    assert expired_on in line
    assert stored_tenants(ready) == []


@pytest.mark.parametrize(
    ("tenant_id", "client_id", "extra", "named"),
    [
        ("not-a-guid", None, [], "--tenant-id"),
        (None, "12345", [], "--client-id"),
        (None, None, ["--name", "has.a.dot"], "has.a.dot"),
        (None, None, ["--name", "-leading-dash"], "-leading-dash"),
    ],
)
def test_malformed_ids_exit_9_before_anything_talks_to_entra_id(
    ready: Cli,
    server: EmulatorServer,
    tenants: list[TenantSpec],
    tenant_id: str | None,
    client_id: str | None,
    extra: list[str],
    named: str,
) -> None:
    spec = tenants[0]
    control(server, "DELETE", "stats")

    result = ready(
        "tenant", "add", "--tenant-id", tenant_id or spec.tenant_id,
        "--client-id", client_id or spec.client_id, "--client-secret", spec.client_secret, *extra,
    )  # fmt: skip

    assert result.code == 9
    assert named in result.one_error_line()
    assert stored_tenants(ready) == []
    assert control(server, "GET", "stats")["tenants"] == {}  # Entra ID and Graph never asked


def test_adding_the_same_tenant_twice_is_a_clear_error(
    added: Cli, tenants: list[TenantSpec]
) -> None:
    result = added(*add_args(tenants[0]))

    assert result.code == 2
    line = result.one_error_line()
    assert "already in this workspace" in line
    assert "contoso" in line
    assert len(stored_tenants(added)) == 1


def test_a_domain_is_accepted_and_the_tenant_is_kept_by_its_guid(
    ready: Cli, tenants: list[TenantSpec]
) -> None:
    spec = tenants[2]

    ready.ok(
        "tenant", "add", "--tenant-id", spec.primary_domain, "--client-id", spec.client_id,
        "--client-secret", spec.client_secret,
    )  # fmt: skip

    [row] = stored_tenants(ready)
    assert row["tenant_id"] == spec.tenant_id


# --- test -----------------------------------------------------------------------------------


def test_tenant_test_exits_0_when_every_permission_is_granted(added: Cli) -> None:
    result = added.ok("tenant", "test", "contoso")

    assert "Token for contoso" in result.out
    assert "missing" not in result.out
    assert "User.Read.All" in result.out
    assert "AuditLog.Read.All" in result.out


def test_tenant_test_names_the_missing_permission_and_exits_7(
    added: Cli, server: EmulatorServer, tenants: list[TenantSpec]
) -> None:
    granted = sorted(ALL_PERMISSIONS - {"AuditLog.Read.All"})
    control(server, "POST", f"tenants/{tenants[0].tenant_id}/permissions", {"granted": granted})

    result = added("tenant", "test", "contoso")
    as_json = added("tenant", "test", "contoso", "--json")

    assert result.code == as_json.code == 7
    assert "AuditLog.Read.All" in result.err
    assert "Missing 1 permission" in result.err
    report = json_of(as_json)
    assert set(report) >= {"tenant_id", "name", "token_ok", "tested_at", "probes", "missing"}
    assert report["missing"] == ["AuditLog.Read.All"]
    assert {p["permission"] for p in report["probes"]} >= {"AuditLog.Read.All", "User.Read.All"}
    shown = added.ok("tenant", "show", "contoso")
    assert "missing AuditLog.Read.All" in shown.out  # the result was recorded on the tenant


# --- show, update ---------------------------------------------------------------------------


def test_show_gives_everything_but_the_secret(added: Cli) -> None:
    text = added.ok("tenant", "show", "contoso")
    as_json = json_of(added.ok("tenant", "show", "contoso", "--json"))

    assert "stored encrypted" in text.out
    assert as_json["secret_fingerprint"] in text.out
    assert set(as_json) == TENANT_FIELDS | {"snapshots"}
    assert as_json["snapshots"] == []
    assert not any("secret" in key and key != "secret_fingerprint" for key in as_json)


def test_update_rotates_the_secret_and_the_old_one_is_no_longer_used(
    added: Cli, tenants: list[TenantSpec]
) -> None:
    spec = tenants[0]
    old, new = spec.client_secret, "Emu8Q~the-rotated-secret-0123456789ab"
    added.keep_secret(new)
    before = json_of(added.ok("tenant", "show", "contoso", "--json"))["secret_fingerprint"]
    spec.client_secret = new  # the admin made a new secret in Entra ID and deleted the old one

    stale = added("tenant", "test", "contoso")
    assert stale.code == 6
    assert "client secret" in stale.one_error_line()
    refused = added("tenant", "update", "contoso", "--client-secret", old)
    assert refused.code == 6  # checked with Entra ID first: the old secret is not saved again
    assert stored_secret(added, "contoso") == old

    added.ok("tenant", "update", "contoso", "--client-secret", "-", stdin=new + "\n")

    assert stored_secret(added, "contoso") == new
    after = json_of(added.ok("tenant", "show", "contoso", "--json"))["secret_fingerprint"]
    assert after != before
    added.ok("tenant", "test", "contoso")  # Entra ID accepts only the new secret now


def test_update_renames_and_refuses_to_do_nothing(added: Cli) -> None:
    added.ok("tenant", "update", "contoso", "--name", "contoso-hq")
    nothing = added("tenant", "update", "contoso-hq")

    assert [row["name"] for row in stored_tenants(added)] == ["contoso-hq"]
    assert nothing.code == 9
    assert "nothing to change" in nothing.one_error_line()


# --- remove ---------------------------------------------------------------------------------


def test_remove_asks_first_and_keeps_the_tenant_unless_confirmed(added: Cli) -> None:
    declined = added("tenant", "remove", "contoso", stdin="n\n")
    unanswered = added("tenant", "remove", "contoso")  # end of input at the prompt

    assert declined.code == 2
    assert "Remove contoso" in declined.out
    assert "nothing was removed" in declined.err
    assert unanswered.code == 130
    assert len(stored_tenants(added)) == 1

    confirmed = added("tenant", "remove", "contoso", stdin="y\n")

    assert confirmed.code == 0
    assert stored_tenants(added) == []


def test_remove_with_yes_cascades_to_snapshots_and_blobs(added: Cli) -> None:
    assert added("inventory", "collect", "-t", "contoso").code == 0
    assert added.workspace is not None
    with Workspace.open(added.workspace) as workspace, workspace.session() as session:
        assert session.query(Snapshot).count() == 1
        assert session.query(SnapshotEntry).count() > 20
        assert session.query(Blob).count() > 0  # deduplicated: fewer blobs than entries

    added.ok("tenant", "remove", "contoso", "--yes")

    with Workspace.open(added.workspace) as workspace, workspace.session() as session:
        assert workspace.tenants(session).list() == []
        assert session.query(Snapshot).count() == 0
        assert session.query(SnapshotEntry).count() == 0
        assert session.query(Blob).count() == 0
