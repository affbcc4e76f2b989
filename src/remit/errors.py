"""One error tree for Remit.

Every error carries a message a technician can act on (what failed, why, what to do) and a
process exit code. The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``;
the API turns the same error into a JSON problem document. The exit codes are documented in
``docs/reference/exit-codes.md`` and are part of the public interface: scripts depend on them.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, stable across releases."""

    OK = 0
    FAILURE = 1  # something unexpected; a bug report is welcome
    USAGE = 2  # bad command line (Typer/Click use 2 as well)
    WORKSPACE = 3  # no workspace, unreadable workspace, bad config file
    DATABASE = 4  # corrupt or newer database, migration failure
    NOT_FOUND = 5  # unknown tenant, snapshot or other named object
    AUTHENTICATION = 6  # wrong secret, expired certificate, no consent, unknown tenant at Entra
    PERMISSION = 7  # a Graph permission or a licence is missing
    UNAVAILABLE = 8  # Graph unreachable, throttled too long, or answering with errors
    INVALID_INPUT = 9  # a file given on the command line is malformed
    ADDRESS_IN_USE = 10  # a port is taken
    PARTIAL = 11  # work finished but some of it failed (e.g. some tenants, some endpoints)
    REPOSITORY = 12  # no backup repository there, a newer format, or a malformed repository object
    REPOSITORY_KEY = 13  # wrong passphrase, no key file, or no key that opens the repository
    INTEGRITY = 14  # the repository is damaged: check found errors, or data could not be restored
    STORAGE = 15  # the repository's storage failed: disk full, S3 unreachable, access denied
    INTERRUPTED = 130  # Ctrl-C


class RemitError(Exception):
    """Root of every error Remit raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- workspace, configuration and storage -------------------------------------------------


class WorkspaceError(RemitError):
    """The workspace is missing, unreadable or its configuration is invalid."""

    exit_code = ExitCode.WORKSPACE


class ConfigError(WorkspaceError):
    """A configuration file or setting is invalid."""


class DatabaseError(RemitError):
    """The database cannot be opened, is corrupted, or has a schema this version cannot use."""

    exit_code = ExitCode.DATABASE


class SecretsError(WorkspaceError):
    """The key that protects secrets at rest is missing, wrong, or the ciphertext was altered."""


class NotFound(RemitError):
    """A named object (tenant, snapshot, ...) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class AlreadyExists(RemitError):
    """An object with the same identity already exists."""

    exit_code = ExitCode.USAGE


class InvalidInput(RemitError):
    """A file or value given by the user is malformed."""

    exit_code = ExitCode.INVALID_INPUT


class AddressInUse(RemitError):
    """A network port is already taken."""

    exit_code = ExitCode.ADDRESS_IN_USE


class PartialFailure(RemitError):
    """Some of the requested work failed; the rest succeeded and was kept."""

    exit_code = ExitCode.PARTIAL


# --- Microsoft Graph and Entra ID ----------------------------------------------------------


class GraphError(RemitError):
    """Base for errors that come from talking to Microsoft Graph or Entra ID."""

    exit_code = ExitCode.UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        endpoint: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.tenant_id = tenant_id
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.request_id = request_id


class AuthenticationError(GraphError):
    """Entra ID refused to issue a token."""

    exit_code = ExitCode.AUTHENTICATION


class InvalidClientSecret(AuthenticationError):
    """The client secret is wrong or expired."""


class CertificateError(AuthenticationError):
    """The certificate is unreadable, expired, or not registered on the app."""


class TenantNotFound(AuthenticationError):
    """Entra ID does not know the tenant id or domain."""


class TenantNotConsented(AuthenticationError):
    """The app is not registered or not consented in the customer's tenant."""


class MissingPermission(GraphError):
    """Graph refused a request because the app lacks an application permission."""

    exit_code = ExitCode.PERMISSION

    def __init__(self, message: str, *, permission: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.permission = permission


class LicenseRequired(GraphError):
    """The tenant lacks the licence (e.g. Entra ID P1/P2, Intune) the endpoint needs."""

    exit_code = ExitCode.PERMISSION

    def __init__(self, message: str, *, license: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.license = license


class ThrottledTooLong(GraphError):
    """Graph kept throttling past the retry budget."""


class GraphUnavailable(GraphError):
    """Graph could not be reached or kept failing (5xx, dropped connections, bad bodies)."""


class GraphRequestError(GraphError):
    """Graph rejected a request as invalid (4xx other than auth, permission and throttling)."""

    exit_code = ExitCode.FAILURE


class GraphNotFound(GraphRequestError):
    """Graph answered 404: the object (user, group, mailbox, ...) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class DeltaTokenExpired(GraphError):
    """A delta link is no longer valid; the caller must start a full sync."""


# --- backup repository ---------------------------------------------------------------------


class RepositoryError(RemitError):
    """The repository is missing, of a newer format, or one of its objects is malformed."""

    exit_code = ExitCode.REPOSITORY


class RepositoryKeyError(RepositoryError):
    """No key opens the repository: wrong passphrase, missing key file, or key removed."""

    exit_code = ExitCode.REPOSITORY_KEY


class IntegrityError(RepositoryError):
    """Repository data failed authentication or its hash: it was damaged or tampered with."""

    exit_code = ExitCode.INTEGRITY


class StorageError(RepositoryError):
    """The storage behind a repository failed (full disk, unreachable endpoint, access denied)."""

    exit_code = ExitCode.STORAGE


class ObjectExists(StorageError):
    """A conditional create found the object already there (another writer got there first)."""

    exit_code = ExitCode.FAILURE


class ObjectMissing(StorageError):
    """A repository object that should exist is not in the store."""

    exit_code = ExitCode.INTEGRITY
