"""Tenants: add, look up by name, id or domain, duplicates, credentials encrypted at rest."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import AuthKind, TenantCredentials
from remit.errors import AlreadyExists, InvalidInput, NotFound, SecretsError
from remit.store import SecretBox, TenantInfo, TenantRepository
from remit.store.models import Tenant

from .conftest import APP_ID, CONTOSO_ID, FABRIKAM_ID, creds

NORTHWIND_ID = "33333333-3333-4333-8333-333333333333"


def test_lookup_by_name_tenant_id_or_domain(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    assert contoso.name == "contoso"  # the primary domain's first label
    assert fabrikam.name == "fabrikam"
    with sessions.begin() as session:
        repo = TenantRepository(session, box)
        for ref in (
            "contoso",
            "CONTOSO",
            CONTOSO_ID,
            CONTOSO_ID.upper(),
            "Contoso.onmicrosoft.com",
        ):
            assert repo.get(ref) == contoso
        assert repo.get(" fabrikam ") == fabrikam
        assert [t.name for t in repo.list()] == ["contoso", "fabrikam"]


def test_stored_fields(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    assert contoso.tenant_id == CONTOSO_ID
    assert contoso.client_id == APP_ID
    assert contoso.display_name == "Contoso Ltd"
    assert contoso.primary_domain == "contoso.onmicrosoft.com"
    assert contoso.auth_kind is AuthKind.CLIENT_SECRET
    assert contoso.secret_fingerprint == box.fingerprint("contoso-secret")
    assert contoso.created_at.tzinfo == UTC
    assert contoso.last_test_at is None
    assert contoso.settings == {}
    with sessions.begin() as session:
        assert TenantRepository(session, box).get("contoso") == contoso


def test_unknown_tenant(sessions: sessionmaker[Session], box: SecretBox) -> None:
    with sessions.begin() as session, pytest.raises(NotFound) as caught:
        TenantRepository(session, box).get("nobody")
    assert str(caught.value) == (
        "no tenant 'nobody' in this workspace; `remit tenant list` shows the tenants"
    )


def test_names_are_derived_and_deduplicated(
    sessions: sessionmaker[Session], box: SecretBox
) -> None:
    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(1, 7)]
    with sessions.begin() as session:
        repo = TenantRepository(session, box)

        def add(i: int, **kwargs: Any) -> str:
            return repo.add(creds(ids[i]), **kwargs).name

        assert add(0, primary_domain="contoso.com") == "contoso"
        assert add(1, primary_domain="contoso.onmicrosoft.com") == "contoso-2"
        assert add(2, display_name="Société Générale, Ltd.") == "societe-generale-ltd"
        assert add(3, display_name="  ") == "tenant"
        assert add(4, display_name="Contoso") == "contoso-3"
        assert add(5, display_name="x", name="Blue-Yonder") == "blue-yonder"


def test_duplicates_are_refused_with_a_helpful_message(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with sessions.begin() as session:
        repo = TenantRepository(session, box)
        with pytest.raises(AlreadyExists) as same_id:
            repo.add(creds(CONTOSO_ID.upper()))
        assert str(same_id.value).startswith(
            f"tenant {CONTOSO_ID} is already in this workspace as 'contoso'"
        )
        with pytest.raises(AlreadyExists, match="a tenant named 'fabrikam' already exists"):
            repo.add(creds(NORTHWIND_ID), name="Fabrikam")
        with pytest.raises(AlreadyExists, match="already has the primary domain"):
            repo.add(creds(NORTHWIND_ID), primary_domain="contoso.onmicrosoft.com")
        assert len(repo.list()) == 2
        # The session is still usable after the refusals.
        assert repo.add(creds(NORTHWIND_ID)).name == "tenant"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        (
            "tenant_id",
            "contoso.onmicrosoft.com",
            "tenant id 'contoso.onmicrosoft.com' is not a GUID",
        ),
        ("client_id", "abc", "client (application) id 'abc' is not a GUID"),
        ("name", "contoso.com", "tenant name 'contoso.com' is not usable"),
        ("name", CONTOSO_ID, "is not usable"),
        ("primary_domain", "not a domain", "is not a domain name"),
    ],
)
def test_invalid_input(
    sessions: sessionmaker[Session], box: SecretBox, field: str, value: str, problem: str
) -> None:
    ids = {"tenant_id": NORTHWIND_ID, "client_id": APP_ID}
    options: dict[str, Any] = {}
    if field in ids:
        ids[field] = value
    else:
        options[field] = value
    with sessions.begin() as session, pytest.raises(InvalidInput, match=re.escape(problem)):
        TenantRepository(session, box).add(
            creds(ids["tenant_id"], client_id=ids["client_id"]), **options
        )


def test_secret_is_encrypted_at_rest(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with sessions.begin() as session:
        stored = session.scalars(select(Tenant.secret_ciphertext)).all()
        assert len(stored) == 2
        assert all(b"secret" not in bytes(c) for c in stored)
        creds = TenantRepository(session, box).credentials("contoso")
    assert creds == TenantCredentials(
        tenant_id=CONTOSO_ID,
        client_id=APP_ID,
        auth_kind=AuthKind.CLIENT_SECRET,
        secret="contoso-secret",
    )
    assert "contoso-secret" not in repr(creds)


def test_ciphertext_copied_to_another_tenant_does_not_decrypt(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        stolen = session.scalars(
            select(Tenant.secret_ciphertext).where(Tenant.id == contoso.pk)
        ).one()
        session.execute(
            update(Tenant).where(Tenant.id == fabrikam.pk).values(secret_ciphertext=stolen)
        )
    with sessions.begin() as session, pytest.raises(SecretsError) as caught:
        TenantRepository(session, box).credentials(fabrikam)
    assert str(caught.value).startswith("cannot decrypt the stored secret for tenant 'fabrikam'")


def test_another_workspace_key_cannot_decrypt(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with sessions.begin() as session, pytest.raises(SecretsError, match="does not match"):
        TenantRepository(session, SecretBox(os.urandom(32))).credentials("contoso")


def test_update_credentials(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    new_app = "88888888-8888-4888-8888-888888888888"
    pem = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    with sessions.begin() as session:
        repo = TenantRepository(session, box)
        repo.record_test("contoso", result={"granted": ["User.Read.All"], "missing": []})
        with pytest.raises(InvalidInput, match="needs the new credential"):
            repo.update_credentials("contoso", auth_kind=AuthKind.CERTIFICATE)
        updated = repo.update_credentials(
            "contoso", client_id=new_app, secret=pem, auth_kind=AuthKind.CERTIFICATE
        )
    assert updated.secret_fingerprint == box.fingerprint(pem) != contoso.secret_fingerprint
    assert updated.last_test_at is None  # the old test said nothing about the new credential
    with sessions.begin() as session:
        creds = TenantRepository(session, box).credentials(updated)
    assert (creds.client_id, creds.auth_kind, creds.secret) == (new_app, AuthKind.CERTIFICATE, pem)


def test_record_test(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    at = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    result = {"granted": ["User.Read.All"], "missing": ["Policy.Read.All"], "ok": False}
    with sessions.begin() as session:
        TenantRepository(session, box).record_test("fabrikam", result=result, tested_at=at)
    with sessions.begin() as session:
        fabrikam = TenantRepository(session, box).get("fabrikam")
    assert fabrikam.last_test_at == at
    assert fabrikam.last_test_result == result


def test_update_renames_and_refuses_a_taken_name(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with sessions.begin() as session:
        repo = TenantRepository(session, box)
        renamed = repo.update("contoso", name="cso", settings={"mailboxes": False})
        assert repo.get("cso") == renamed
        assert renamed.settings == {"mailboxes": False}
        with pytest.raises(AlreadyExists, match="a tenant named 'fabrikam' already exists"):
            repo.update("cso", name="fabrikam")
        with pytest.raises(NotFound):
            repo.get("contoso")


def test_remove(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    with sessions.begin() as session:
        removed = TenantRepository(session, box).remove(FABRIKAM_ID)
    assert removed.name == "fabrikam"
    with sessions.begin() as session:
        repo = TenantRepository(session, box)
        assert [t.name for t in repo.list()] == ["contoso"]
        with pytest.raises(NotFound):
            repo.remove("fabrikam")
        with pytest.raises(NotFound, match="no longer in this workspace"):
            repo.credentials(removed)
