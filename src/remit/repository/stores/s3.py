"""A repository in an S3 bucket (AWS or any S3-compatible service), through boto3.

Each key is the object ``<prefix>/<key>``. An exclusive put is a conditional ``PutObject`` with
``If-None-Match: *``, so exactly one of several racing writers wins. With an ``ObjectLock``
every object is written WORM-protected for a number of days; ``delete`` on such a bucket only
adds a delete marker and the locked version stays until its retention ends.

boto3 is imported only when the first request is made (it takes ~0.4 s to import). One client is
created lazily and shared by all threads (boto3 clients are thread-safe). Credentials come from
boto3's usual chain (environment, config files, instance roles) and are never logged.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Literal, TypeVar

from remit.errors import ObjectExists, ObjectMissing, StorageError
from remit.repository.stores.base import ObjectInfo, Payload, Spool
from remit.repository.stores.keys import check_key, check_prefix

T = TypeVar("T")

ClientFactory = Callable[[], Any]
"""Builds the boto3 S3 client; the default honours the store's endpoint, region and timeouts."""

IAM_ACTIONS = "s3:GetObject, s3:PutObject, s3:ListBucket and s3:DeleteObject"

# What a conditional PutObject answers when the key exists (412), or when another conditional
# write to the same key is in flight (409): either way this writer lost the race.
_CONFLICT = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


@dataclass(frozen=True, slots=True)
class ObjectLock:
    """S3 Object Lock retention applied to every object written."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: int

    def __post_init__(self) -> None:
        if self.mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise ValueError(f"object lock mode must be GOVERNANCE or COMPLIANCE, not {self.mode}")
        if not 1 <= self.days <= 36500:
            raise ValueError(f"object lock days must be between 1 and 36500, not {self.days}")


class S3Store:
    """Objects under ``prefix`` in ``bucket``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        object_lock: ObjectLock | None = None,
        client_factory: ClientFactory | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
        page_size: int = 1000,
    ) -> None:
        self._bucket = bucket
        stripped = prefix.strip("/")
        self._prefix = f"{stripped}/" if stripped else ""
        self._endpoint_url = endpoint_url
        self._region = region
        self._object_lock = object_lock
        self._factory = client_factory or self._default_client
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_attempts = max_attempts
        self._page_size = page_size
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._bucket_seen = False

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def location(self) -> str:
        where = f"{self._bucket}/{self._prefix}".rstrip("/")
        if self._endpoint_url:
            return f"s3:{self._endpoint_url.rstrip('/')}/{where}"
        return f"s3://{where}"

    # --- writing -------------------------------------------------------------------------

    def spool(self) -> Spool:
        """An anonymous temporary file in the system's temporary folder (``TMPDIR``)."""
        try:
            file = tempfile.TemporaryFile()  # noqa: SIM115 - the caller discards the spool
        except OSError as exc:
            raise self._spool_error(exc) from exc
        return Spool(file, failure=self._spool_error)

    def _spool_error(self, exc: OSError) -> StorageError:
        return StorageError(
            f"cannot write a temporary file in {tempfile.gettempdir()} to build a pack for "
            f"{self.location}: {exc.strerror}; free space there or set TMPDIR; nothing was "
            "written to the bucket"
        )

    def put(self, key: str, data: Payload, *, exclusive: bool = False) -> None:
        body: bytes | bytearray | BinaryIO
        if isinstance(data, Spool):
            data.file.flush()
            data.file.seek(0)
            body = data.file
        else:
            body = b"".join(data) if isinstance(data, list) else data
        args: dict[str, Any] = {"Bucket": self._bucket, "Key": self._name(key), "Body": body}
        if exclusive:
            args["IfNoneMatch"] = "*"
        if self._object_lock is not None:
            until = datetime.now(UTC) + timedelta(days=self._object_lock.days)
            args["ObjectLockMode"] = self._object_lock.mode
            args["ObjectLockRetainUntilDate"] = until
            args["ChecksumAlgorithm"] = "CRC32"  # S3 requires an integrity checksum here
        try:
            self._call("writing", key, lambda: self._s3().put_object(**args))
        except StorageError as exc:
            if exclusive and _code(exc.__cause__) in _CONFLICT:
                raise ObjectExists(
                    f"object {key} already exists in {self.location}: another writer "
                    "created it first; nothing was written"
                ) from exc.__cause__
            raise

    def clean_temporary(self, older_than_s: float) -> int:
        """Nothing to clean: every object is one PutObject, and packs are built in local
        temporary files that vanish with the process."""
        return 0

    def delete(self, key: str) -> None:
        name = self._name(key)
        self._call("deleting", key, lambda: self._s3().delete_object(Bucket=self._bucket, Key=name))

    # --- reading -------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        name = self._name(key)

        def fetch() -> bytes:
            body = self._s3().get_object(Bucket=self._bucket, Key=name)["Body"]
            with body:
                return bytes(body.read())

        return self._call("reading", key, fetch)

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError(f"invalid range offset={offset} length={length}")
        if length == 0:
            self.size(key)  # still report a missing object
            return b""
        name = self._name(key)
        wanted = f"bytes={offset}-{offset + length - 1}"

        def fetch() -> bytes:
            body = self._s3().get_object(Bucket=self._bucket, Key=name, Range=wanted)["Body"]
            with body:
                return bytes(body.read())

        try:
            return self._call("reading", key, fetch)
        except StorageError as exc:
            if _code(exc.__cause__) in ("InvalidRange", "416"):
                return b""  # the object exists but ends before ``offset``
            raise

    def size(self, key: str) -> int:
        found = self._head(key)
        if found is None:
            raise self._missing(key)
        return found

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        cut = len(self._prefix)

        def pages() -> Iterator[dict[str, Any]]:
            paginator = self._s3().get_paginator("list_objects_v2")
            return iter(
                paginator.paginate(
                    Bucket=self._bucket,
                    Prefix=self._prefix + prefix,
                    PaginationConfig={"PageSize": self._page_size},
                )
            )

        page_iter = self._call("listing", None, pages)
        while True:
            page = self._call("listing", None, lambda: next(page_iter, None))
            if page is None:
                return
            for obj in page.get("Contents", ()):
                key = obj["Key"][cut:]
                if key and not key.endswith("/"):  # skip console "folder" markers
                    yield ObjectInfo(key, int(obj["Size"]))

    # --- helpers -------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _head(self, key: str) -> int | None:
        name = self._name(key)
        try:
            meta = self._call(
                "reading", key, lambda: self._s3().head_object(Bucket=self._bucket, Key=name)
            )
        except ObjectMissing:
            # HEAD has no body, so a missing bucket also looks like 404: tell them apart once.
            if not self._bucket_seen:
                self._call("reading", None, lambda: self._s3().head_bucket(Bucket=self._bucket))
                self._bucket_seen = True
            return None
        self._bucket_seen = True
        return int(meta["ContentLength"])

    def _s3(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def _default_client(self) -> Any:
        import boto3.session
        from botocore.config import Config

        config = Config(
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
            retries={"mode": "standard", "max_attempts": self._max_attempts},
        )
        session = boto3.session.Session()
        return session.client(
            "s3", endpoint_url=self._endpoint_url, region_name=self._region, config=config
        )

    def _endpoint(self) -> str:
        if self._endpoint_url:
            return self._endpoint_url
        client = self._client
        return str(client.meta.endpoint_url) if client is not None else "(AWS default)"

    def _missing(self, key: str | None) -> ObjectMissing:
        return ObjectMissing(
            f"object {key} is missing from {self.location}: the repository is damaged or "
            "another process removed it; run a repository check"
        )

    def _call(self, action: str, key: str | None, fn: Callable[[], T]) -> T:
        """Run one S3 request, turning boto errors into Remit's storage errors."""
        try:
            return fn()
        except StorageError:
            raise
        except Exception as exc:
            mapped = self._translate(exc, action, key)
            if mapped is None:
                raise
            raise mapped from exc

    def _translate(self, exc: Exception, action: str, key: str | None) -> StorageError | None:
        from botocore import exceptions as bx

        tail = "; nothing was written" if action == "writing" else ""
        what = f"{action} {key}" if key else action
        if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
            return StorageError(
                f"S3 endpoint {self._endpoint()} unreachable: {exc}; check the URL and "
                f"network{tail}"
            )
        if isinstance(exc, bx.ReadTimeoutError | bx.ConnectionClosedError):
            maybe = "; the write may or may not have taken effect" if action == "writing" else ""
            return StorageError(
                f"S3 endpoint {self._endpoint()} stopped answering while {what}: {exc}; "
                f"check the network and retry{maybe}"
            )
        if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
            return StorageError(
                f"no AWS credentials for S3 bucket {self._bucket}: set AWS_ACCESS_KEY_ID and "
                f"AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and retry{tail}"
            )
        if isinstance(exc, bx.ClientError):
            return self._client_error(exc, action, key, tail)
        if isinstance(exc, bx.BotoCoreError):
            return StorageError(f"S3 request failed while {what} in {self.location}: {exc}{tail}")
        return None

    def _client_error(self, exc: Any, action: str, key: str | None, tail: str) -> StorageError:
        code = _code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or code
        if code == "NoSuchBucket" or (code in ("404", "NotFound") and key is None):
            return StorageError(
                f"S3 bucket {self._bucket} does not exist at {self._endpoint()}: check the "
                f"bucket name and endpoint, or create the bucket{tail}"
            )
        if code in ("NoSuchKey", "404", "NotFound"):
            return self._missing(key)
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            return StorageError(
                f"S3 rejected the credentials for bucket {self._bucket} ({code}): check "
                f"AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the AWS profile{tail}"
            )
        if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
            return StorageError(
                f"access denied to S3 bucket {self._bucket} while {action}: grant these "
                f"credentials {IAM_ACTIONS} on arn:aws:s3:::{self._bucket} and "
                f"arn:aws:s3:::{self._bucket}/{self._prefix}*{tail}"
            )
        if self._object_lock is not None and "lock" in message.lower():
            return StorageError(
                f"S3 bucket {self._bucket} refused an object-lock write ({message}): create "
                f"the bucket with Object Lock enabled, or unset REMIT_S3_OBJECT_LOCK{tail}"
            )
        return StorageError(
            f"S3 {action} failed in {self.location}: {code} {message}; retry, or check the "
            f"service's status{tail}"
        )


def _code(exc: BaseException | None) -> str:
    """The S3 error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    code = response.get("Error", {}).get("Code")
    if code:
        return str(code)
    return str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
