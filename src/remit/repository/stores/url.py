"""Turn a repository location given by the user into a ``Store``.

Accepted forms::

    /srv/backups/repo  or  ./repo  or  ~/repo     a local directory
    file:///srv/backups/repo                      the same, as a URL
    s3://bucket  or  s3://bucket/some/prefix      S3; endpoint and region from the environment
    s3:https://host:9000/bucket/prefix            S3-compatible service at that endpoint (restic)

For S3 the environment supplies the endpoint (``REMIT_S3_ENDPOINT``, else ``AWS_ENDPOINT_URL_S3``,
else ``AWS_ENDPOINT_URL``), the region (``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else
us-east-1) and optional WORM retention (``REMIT_S3_OBJECT_LOCK=governance:30`` or
``compliance:365``). Credentials stay with boto3's own chain and never appear in a location.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from remit.errors import InvalidInput, RepositoryError, StorageError
from remit.repository.stores.base import Store
from remit.repository.stores.local import LocalStore
from remit.repository.stores.s3 import ObjectLock, S3Store

FORMS = "a local path, file:///path, s3://bucket/prefix or s3:https://host:port/bucket/prefix"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_LOCK = re.compile(r"^(governance|compliance):([0-9]{1,5})$", re.IGNORECASE)


def open_store(
    location: str, *, create: bool = False, environ: Mapping[str, str] | None = None
) -> Store:
    """The store at ``location``; ``InvalidInput`` (one line) if it cannot be understood.

    For a local path, ``create=True`` makes the directory (and its parents) and ``create=False``
    requires it to exist (``RepositoryError`` otherwise). S3 stores are opened without any
    request: the bucket must exist already and is first reached by the caller's first call.
    """
    env = os.environ if environ is None else environ
    location = location.strip()
    if not location:
        raise InvalidInput(f"empty repository location: give {FORMS}")
    scheme_match = _SCHEME.match(location)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    if scheme == "s3":
        return _open_s3(location, env)
    if scheme == "file":
        return _open_local(_file_url_path(location), create=create)
    if scheme:
        raise InvalidInput(f"unsupported repository location scheme '{scheme}:': use {FORMS}")
    return _open_local(Path(location).expanduser(), create=create)


def parse_object_lock(value: str) -> ObjectLock | None:
    """``governance:30`` → ``ObjectLock("GOVERNANCE", 30)``; ``""`` → ``None``."""
    value = value.strip()
    if not value:
        return None
    match = _LOCK.match(value)
    days = int(match.group(2)) if match else 0
    if match is None or not 1 <= days <= 36500:
        raise InvalidInput(
            f"REMIT_S3_OBJECT_LOCK={value!r} is not valid: expected governance:DAYS or "
            "compliance:DAYS with DAYS from 1 to 36500, e.g. compliance:365"
        )
    if match.group(1).lower() == "governance":
        return ObjectLock("GOVERNANCE", days)
    return ObjectLock("COMPLIANCE", days)


def _open_local(path: Path, *, create: bool) -> LocalStore:
    root = path.absolute()
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create repository directory {root}: {exc.strerror or exc}; "
                "check the path and its permissions"
            ) from exc
    elif not root.is_dir():
        raise RepositoryError(
            f"no repository at {root}: the directory does not exist; check the path, "
            "or create a repository there first"
        )
    return LocalStore(root)


def _file_url_path(location: str) -> Path:
    parts = urlsplit(location)
    if parts.netloc not in ("", "localhost"):
        raise InvalidInput(
            f"file URL {location!r} names host {parts.netloc!r}: use file:///absolute/path "
            "for a local directory"
        )
    if parts.query or parts.fragment or not parts.path.startswith("/"):
        raise InvalidInput(f"bad file URL {location!r}: use file:///absolute/path")
    return Path(unquote(parts.path))


def _open_s3(location: str, env: Mapping[str, str]) -> S3Store:
    rest = location[3:]
    if rest.startswith("//"):  # s3://bucket/prefix
        endpoint = _env_endpoint(env)
        bucket, _, prefix = rest[2:].partition("/")
        if "@" in bucket:
            raise _credentials_in_url()
    else:  # s3:https://host:port/bucket/prefix
        endpoint, bucket, prefix = _split_endpoint_url(rest)
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise InvalidInput(
            f"bad S3 bucket name {bucket!r} in {location!r}: 3-63 lowercase letters, digits, "
            "dots or hyphens; use s3://bucket/prefix"
        )
    if "?" in prefix or "#" in prefix:
        raise InvalidInput(f"bad S3 location {location!r}: no '?' or '#' allowed; use {FORMS}")
    prefix = prefix.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise InvalidInput(
            f"bad S3 prefix {prefix!r} in {location!r}: no empty, '.' or '..' parts allowed"
        )
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    lock = parse_object_lock(env.get("REMIT_S3_OBJECT_LOCK", ""))
    return S3Store(bucket, prefix, endpoint_url=endpoint, region=region, object_lock=lock)


def _split_endpoint_url(rest: str) -> tuple[str, str, str]:
    parts = urlsplit(rest)
    if parts.username is not None or parts.password is not None:
        raise _credentials_in_url()
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"bad S3 location 's3:{rest}': after 's3:' give http(s)://host[:port]/bucket/prefix"
        )
    if parts.query or parts.fragment:
        raise InvalidInput(f"bad S3 location 's3:{rest}': no '?' or '#' allowed; use {FORMS}")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"bad S3 location 's3:{rest}': the port is not a number") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    endpoint = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    bucket, _, prefix = parts.path.lstrip("/").partition("/")
    if not bucket:
        raise InvalidInput(f"bad S3 location 's3:{rest}': no bucket after the endpoint")
    return endpoint, bucket, prefix


def _env_endpoint(env: Mapping[str, str]) -> str | None:
    for name in ("REMIT_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = env.get(name, "").strip()
        if not value:
            continue
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None:
            raise InvalidInput(f"{name} must not contain credentials: use AWS_ACCESS_KEY_ID")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(
                f"{name}={value!r} is not an endpoint URL: expected http(s)://host[:port]"
            )
        return value.rstrip("/")
    return None


def _credentials_in_url() -> InvalidInput:
    return InvalidInput(
        "S3 location must not contain credentials: remove them and set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead"
    )
