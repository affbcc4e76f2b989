"""Tenants: the customer tenants of a workspace and their (encrypted) app credentials.

A technician names a tenant by its short handle (``contoso``), its tenant id (a GUID) or its
primary domain (``contoso.onmicrosoft.com``); :meth:`TenantRepository.get` accepts all three.
Handles never contain a dot and never look like a GUID, so the three never collide.
"""

from __future__ import annotations

import builtins
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from remit.domain import AuthKind, TenantCredentials
from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.store.models import Tenant
from remit.store.secrets import SecretBox, tenant_secret_context

NAME_MAX = 40
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """A tenant as stored, without its secret (which only :meth:`credentials` decrypts)."""

    pk: int
    tenant_id: str
    name: str
    display_name: str
    primary_domain: str | None
    client_id: str
    auth_kind: AuthKind
    secret_fingerprint: str
    created_at: datetime
    updated_at: datetime
    last_test_at: datetime | None = None
    last_test_result: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TenantRepository:
    """Tenants of one workspace, in one session. The caller commits (``Workspace.session``)."""

    def __init__(
        self, session: Session, secrets: SecretBox, *, now: Callable[[], datetime] = _utcnow
    ) -> None:
        self._session = session
        self._secrets = secrets
        self._now = now

    # --- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> TenantInfo:
        """The tenant named ``ref``: its handle, tenant id or primary domain (any case)."""
        return _info(self._row(ref))

    def list(self) -> builtins.list[TenantInfo]:
        rows = self._session.scalars(select(Tenant).order_by(Tenant.name))
        return [_info(row) for row in rows]

    def credentials(self, tenant: TenantInfo | str) -> TenantCredentials:
        """The tenant's credentials with the secret decrypted (kept in memory only)."""
        row = self._row(tenant)
        secret = self._secrets.decrypt(
            row.secret_ciphertext,
            context=tenant_secret_context(row.tenant_id),
            label=f"the stored secret for tenant '{row.name}'",
        )
        return TenantCredentials(
            tenant_id=row.tenant_id, client_id=row.client_id, auth_kind=row.auth_kind, secret=secret
        )

    # --- writing ---------------------------------------------------------------------------

    def add(
        self,
        credentials: TenantCredentials,
        *,
        name: str | None = None,
        display_name: str = "",
        primary_domain: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> TenantInfo:
        """Add a tenant; its handle defaults to the domain's first label or the display name."""
        tenant_id = normalize_guid(credentials.tenant_id, what="tenant id")
        client_id = normalize_guid(credentials.client_id, what="client (application) id")
        domain = normalize_domain(primary_domain)
        self._refuse_duplicates(tenant_id, domain, name)
        handle = (
            normalize_name(name) if name is not None else self._derive_name(display_name, domain)
        )
        now = self._now()
        row = Tenant(
            tenant_id=tenant_id,
            name=handle,
            display_name=display_name.strip(),
            primary_domain=domain,
            client_id=client_id,
            auth_kind=AuthKind(credentials.auth_kind),
            secret_ciphertext=self._secrets.encrypt(
                credentials.secret, context=tenant_secret_context(tenant_id)
            ),
            secret_fingerprint=self._secrets.fingerprint(credentials.secret),
            created_at=now,
            updated_at=now,
            last_test_at=None,
            last_test_result=None,
            settings=dict(settings or {}),
        )
        self._flush_new(row)
        return _info(row)

    def update(
        self,
        ref: TenantInfo | str,
        *,
        name: str | None = None,
        display_name: str | None = None,
        primary_domain: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> TenantInfo:
        """Change what is not a credential: the handle, names, per-tenant settings."""
        row = self._row(ref)
        if name is not None:
            handle = normalize_name(name)
            if handle != row.name:
                self._refuse_name(handle)
                row.name = handle
        if display_name is not None:
            row.display_name = display_name.strip()
        if primary_domain is not None:
            domain = normalize_domain(primary_domain)
            if domain is not None and domain != row.primary_domain:
                self._refuse_domain(domain)
            row.primary_domain = domain
        if settings is not None:
            row.settings = dict(settings)
        row.updated_at = self._now()
        self._flush_existing()
        return _info(row)

    def update_credentials(
        self,
        ref: TenantInfo | str,
        *,
        client_id: str | None = None,
        secret: str | None = None,
        auth_kind: AuthKind | None = None,
    ) -> TenantInfo:
        """Replace the app id and/or the secret; the last connection test no longer applies."""
        row = self._row(ref)
        if auth_kind is not None and auth_kind != row.auth_kind and not secret:
            raise InvalidInput(
                f"changing tenant '{row.name}' to {AuthKind(auth_kind).value} needs the new "
                "credential as well"
            )
        if client_id is not None:
            row.client_id = normalize_guid(client_id, what="client (application) id")
        if auth_kind is not None:
            row.auth_kind = AuthKind(auth_kind)
        if secret is not None:
            if not secret:
                raise InvalidInput("the client secret (or certificate) is empty")
            row.secret_ciphertext = self._secrets.encrypt(
                secret, context=tenant_secret_context(row.tenant_id)
            )
            row.secret_fingerprint = self._secrets.fingerprint(secret)
        row.last_test_at = None
        row.last_test_result = None
        row.updated_at = self._now()
        self._flush_existing()
        return _info(row)

    def record_test(
        self,
        ref: TenantInfo | str,
        *,
        result: Mapping[str, Any],
        tested_at: datetime | None = None,
    ) -> TenantInfo:
        """Remember the outcome of a connection test (e.g. permissions granted and missing)."""
        row = self._row(ref)
        row.last_test_at = tested_at or self._now()
        row.last_test_result = dict(result)
        self._flush_existing()
        return _info(row)

    def remove(self, ref: TenantInfo | str) -> TenantInfo:
        """Delete a tenant with its snapshots and blobs (the database cascades)."""
        row = self._row(ref)
        info = _info(row)
        with self._session.begin_nested():
            self._session.delete(row)
        return info

    # --- helpers ---------------------------------------------------------------------------

    def _row(self, ref: TenantInfo | str) -> Tenant:
        if isinstance(ref, TenantInfo):
            row = self._session.get(Tenant, ref.pk)
            if row is None:
                raise NotFound(f"tenant '{ref.name}' is no longer in this workspace")
            return row
        key = ref.strip().lower()
        row = self._session.scalars(
            select(Tenant).where(
                or_(Tenant.name == key, Tenant.tenant_id == key, Tenant.primary_domain == key)
            )
        ).first()
        if row is None:
            raise NotFound(
                f"no tenant '{ref}' in this workspace; `remit tenant list` shows the tenants"
            )
        return row

    def _refuse_duplicates(self, tenant_id: str, domain: str | None, name: str | None) -> None:
        existing = self._session.scalars(
            select(Tenant).where(Tenant.tenant_id == tenant_id)
        ).first()
        if existing is not None:
            raise AlreadyExists(
                f"tenant {tenant_id} is already in this workspace as '{existing.name}'; update "
                "its credentials instead, or remove it first"
            )
        if domain is not None:
            self._refuse_domain(domain)
        if name is not None:
            self._refuse_name(normalize_name(name))

    def _refuse_name(self, handle: str) -> None:
        existing = self._session.scalars(select(Tenant).where(Tenant.name == handle)).first()
        if existing is not None:
            raise AlreadyExists(
                f"a tenant named '{handle}' already exists (tenant {existing.tenant_id}); "
                "choose another name"
            )

    def _refuse_domain(self, domain: str) -> None:
        existing = self._session.scalars(
            select(Tenant).where(Tenant.primary_domain == domain)
        ).first()
        if existing is not None:
            raise AlreadyExists(
                f"tenant '{existing.name}' ({existing.tenant_id}) already has the primary domain "
                f"{domain}; check the tenant id"
            )

    def _derive_name(self, display_name: str, domain: str | None) -> str:
        base = slugify(domain.split(".", 1)[0]) if domain else ""
        base = base or slugify(display_name)
        if not base or _GUID.match(base):
            base = "tenant"
        taken = set(self._session.scalars(select(Tenant.name).where(Tenant.name.startswith(base))))
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    def _flush_new(self, row: Tenant) -> None:
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            # Another process added the same tenant between our check and this insert.
            raise AlreadyExists(
                f"tenant {row.tenant_id} ('{row.name}') was added concurrently; "
                "`remit tenant list` shows the tenants"
            ) from None

    def _flush_existing(self) -> None:
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError:
            raise AlreadyExists(
                "another tenant took that name or domain concurrently; "
                "`remit tenant list` shows the tenants"
            ) from None


def _info(row: Tenant) -> TenantInfo:
    return TenantInfo(
        pk=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        display_name=row.display_name,
        primary_domain=row.primary_domain,
        client_id=row.client_id,
        auth_kind=row.auth_kind,
        secret_fingerprint=row.secret_fingerprint,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_test_at=row.last_test_at,
        last_test_result=row.last_test_result,
        settings=dict(row.settings),
    )


def normalize_guid(value: str, *, what: str) -> str:
    guid = value.strip().lower()
    if not _GUID.match(guid):
        raise InvalidInput(
            f"{what} '{value}' is not a GUID (like 00000000-0000-0000-0000-000000000000); "
            "copy it from the Entra admin center"
        )
    return guid


def normalize_domain(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    domain = value.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise InvalidInput(f"'{value}' is not a domain name (like contoso.onmicrosoft.com)")
    return domain


def normalize_name(value: str) -> str:
    handle = value.strip().lower()
    if not _NAME.match(handle) or len(handle) > NAME_MAX or _GUID.match(handle):
        raise InvalidInput(
            f"tenant name '{value}' is not usable: use up to {NAME_MAX} lowercase letters, digits, "
            "'-' and '_', starting with a letter or digit (no dots: those name domains)"
        )
    return handle


def slugify(text: str) -> str:
    """``"Société Générale Ltd"`` -> ``"societe-generale-ltd"`` (at most NAME_MAX characters)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    # Leave room for a "-NN" suffix when the handle is taken.
    return slug[: NAME_MAX - 4].strip("-")
