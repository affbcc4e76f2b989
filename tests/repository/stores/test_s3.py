"""S3Store beyond the contract: object lock, prefixes, paging and error mapping.

Most tests talk to a real moto server over loopback; the few error shapes moto cannot produce
(IAM denials, a 409 conditional-write conflict) are injected with botocore's ``Stubber`` on a
real client, so the mapping code under test is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from remit.errors import ObjectExists, ObjectMissing, StorageError
from remit.repository.stores import ObjectLock, S3Store
from tests.repository.conftest import S3Server
from tests.repository.s3server import free_port


def make_store(s3: S3Server, bucket: str, prefix: str = "", **kwargs: Any) -> S3Store:
    return S3Store(bucket, prefix, endpoint_url=s3.endpoint, region="us-east-1", **kwargs)


def versions(s3: S3Server, bucket: str, key: str) -> list[dict[str, Any]]:
    listed = s3.client.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


# --- object lock -----------------------------------------------------------------------------


def test_compliance_lock_keeps_the_version_after_delete(s3: S3Server) -> None:
    bucket = s3.new_bucket(object_lock=True)
    store = make_store(s3, bucket, "repo", object_lock=ObjectLock("COMPLIANCE", 30))
    before = datetime.now(UTC)

    store.put("data/3f/3f01", b"worm", exclusive=True)

    head = s3.client.head_object(Bucket=bucket, Key="repo/data/3f/3f01")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert before + timedelta(days=30) - timedelta(seconds=5) <= until
    assert until <= datetime.now(UTC) + timedelta(days=30, seconds=5)

    store.delete("data/3f/3f01")  # on a versioned bucket: only a delete marker
    assert not store.exists("data/3f/3f01")
    [version] = versions(s3, bucket, "repo/data/3f/3f01")
    with pytest.raises(ClientError) as denied:
        s3.client.delete_object(
            Bucket=bucket, Key="repo/data/3f/3f01", VersionId=version["VersionId"]
        )
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError, match="AccessDenied"):  # not even with a bypass
        s3.client.delete_object(
            Bucket=bucket,
            Key="repo/data/3f/3f01",
            VersionId=version["VersionId"],
            BypassGovernanceRetention=True,
        )
    kept = s3.client.get_object(
        Bucket=bucket, Key="repo/data/3f/3f01", VersionId=version["VersionId"]
    )
    assert kept["Body"].read() == b"worm"


def test_governance_lock_yields_only_to_an_explicit_bypass(s3: S3Server) -> None:
    bucket = s3.new_bucket(object_lock=True)
    store = make_store(s3, bucket, object_lock=ObjectLock("GOVERNANCE", 1))
    store.put("snapshots/s1", b"snap")
    [version] = versions(s3, bucket, "snapshots/s1")
    assert s3.client.head_object(Bucket=bucket, Key="snapshots/s1")["ObjectLockMode"] == (
        "GOVERNANCE"
    )

    with pytest.raises(ClientError, match="AccessDenied"):
        s3.client.delete_object(Bucket=bucket, Key="snapshots/s1", VersionId=version["VersionId"])
    s3.client.delete_object(
        Bucket=bucket,
        Key="snapshots/s1",
        VersionId=version["VersionId"],
        BypassGovernanceRetention=True,
    )
    assert versions(s3, bucket, "snapshots/s1") == []


def test_locked_exclusive_put_still_refuses_to_overwrite(s3: S3Server) -> None:
    bucket = s3.new_bucket(object_lock=True)
    store = make_store(s3, bucket, object_lock=ObjectLock("COMPLIANCE", 1))
    store.put("keys/k", b"one", exclusive=True)
    with pytest.raises(ObjectExists):
        store.put("keys/k", b"two", exclusive=True)
    assert store.get("keys/k") == b"one"
    assert len(versions(s3, bucket, "keys/k")) == 1


def test_object_lock_on_a_bucket_without_it_says_so(s3: S3Server) -> None:
    bucket = s3.new_bucket(object_lock=False)
    store = make_store(s3, bucket, object_lock=ObjectLock("GOVERNANCE", 7))
    with pytest.raises(StorageError, match=f"S3 bucket {bucket} refused an object-lock write"):
        store.put("config", b"x")
    assert not store.exists("config")


@pytest.mark.parametrize(("mode", "days"), [("WORM", 1), ("COMPLIANCE", 0), ("GOVERNANCE", -3)])
def test_object_lock_rejects_nonsense(mode: str, days: int) -> None:
    with pytest.raises(ValueError, match="object lock"):
        ObjectLock(mode, days)  # type: ignore[arg-type]


# --- prefixes and paging -------------------------------------------------------------------


def test_stores_under_different_prefixes_do_not_see_each_other(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    whole, a, b = make_store(s3, bucket), make_store(s3, bucket, "a"), make_store(s3, bucket, "/b/")
    a.put("config", b"A")
    b.put("config", b"B")
    s3.client.put_object(Bucket=bucket, Key="a/folder/", Body=b"")  # a console "folder"

    assert a.get("config") == b"A"
    assert b.get("config") == b"B"
    assert [i.key for i in a.list("")] == ["config"]
    assert sorted(i.key for i in whole.list("")) == ["a/config", "b/config"]
    assert b.location.endswith(f"/{bucket}/b")
    assert s3.client.get_object(Bucket=bucket, Key="b/config")["Body"].read() == b"B"


def test_list_follows_pages(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    store = make_store(s3, bucket, "p", page_size=3)
    keys = [f"data/{n % 3:02x}/{n:04d}" for n in range(11)]
    for key in keys:
        store.put(key, b".")
    store.put("snapshots/s", b"..")

    first = s3.client.list_objects_v2(Bucket=bucket, Prefix="p/data/", MaxKeys=3)
    assert first["IsTruncated"]  # so the store had to follow continuation tokens
    assert sorted(i.key for i in store.list("data/")) == sorted(keys)
    assert len(list(store.list(""))) == 12
    assert [i.key for i in store.list("data/01/")] == [k for k in keys if k.startswith("data/01/")]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_unreachable_endpoint_is_a_storage_error(aws_env: None) -> None:
    port = free_port()  # nothing listens there once the probe socket is closed
    endpoint = f"http://127.0.0.1:{port}"
    store = S3Store(
        "bucket",
        "repo",
        endpoint_url=endpoint,
        region="us-east-1",
        connect_timeout=1,
        read_timeout=1,
        max_attempts=1,
    )
    with pytest.raises(StorageError) as caught:
        store.put("config", b"x", exclusive=True)
    message = str(caught.value)
    assert message.startswith(f"S3 endpoint {endpoint} unreachable: ")
    assert message.endswith("check the URL and network; nothing was written")
    assert "\n" not in message
    assert "testing" not in message  # no credential leaks into messages
    for call in (
        lambda: store.get("config"),
        lambda: store.exists("config"),
        lambda: list(store.list("")),
    ):
        with pytest.raises(StorageError, match="unreachable"):
            call()


def test_missing_bucket_names_the_bucket(s3: S3Server) -> None:
    store = make_store(s3, "remit-no-such-bucket", "repo")
    for call in (
        lambda: store.put("config", b"x"),
        lambda: store.get("config"),
        lambda: store.exists("config"),
        lambda: store.size("config"),
        lambda: list(store.list("")),
    ):
        with pytest.raises(StorageError) as caught:
            call()
        assert not isinstance(caught.value, ObjectMissing)
        assert "S3 bucket remit-no-such-bucket does not exist at http://127.0.0.1:" in str(
            caught.value
        )


def test_missing_credentials_are_explained(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = make_store(s3, s3.new_bucket(), max_attempts=1)
    with pytest.raises(
        StorageError, match=r"no AWS credentials for S3 bucket .* AWS_ACCESS_KEY_ID"
    ):
        store.put("config", b"x")


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[S3Store, Stubber]]:
    client = boto3.session.Session().client(
        "s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1"
    )
    with Stubber(client) as stubber:
        yield S3Store("acme-backups", "t1", client_factory=lambda: client), stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("operation", ["get_object", "head_object", "put_object"])
def test_access_denied_names_bucket_and_iam_actions(
    stubbed: tuple[S3Store, Stubber], operation: str
) -> None:
    store, stubber = stubbed
    stubber.add_client_error(operation, "AccessDenied", "Access Denied", 403)
    calls: dict[str, Callable[[], object]] = {
        "get_object": lambda: store.get("config"),
        "head_object": lambda: store.size("config"),
        "put_object": lambda: store.put("config", b"x"),
    }
    with pytest.raises(StorageError) as caught:
        calls[operation]()
    message = str(caught.value)
    assert "access denied to S3 bucket acme-backups" in message
    for action in ("s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"):
        assert action in message
    assert "arn:aws:s3:::acme-backups/t1/*" in message


def test_head_403_without_body_is_access_denied(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error("head_object", "403", "Forbidden", 403)
    with pytest.raises(StorageError, match="access denied to S3 bucket acme-backups"):
        store.exists("config")


def test_conditional_write_conflict_is_object_exists(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error(
        "put_object", "ConditionalRequestConflict", "A conflicting operation is in progress", 409
    )
    with pytest.raises(ObjectExists, match="object locks/l already exists"):
        store.put("locks/l", b"x", exclusive=True)


def test_precondition_failure_without_exclusive_is_not_object_exists(
    stubbed: tuple[S3Store, Stubber],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error("put_object", "PreconditionFailed", "At least one failed", 412)
    with pytest.raises(StorageError) as caught:
        store.put("config", b"x")
    assert not isinstance(caught.value, ObjectExists)


def test_server_errors_after_retries_are_storage_errors(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_client_error("get_object", "InternalError", "We encountered an error", 500)
    with pytest.raises(StorageError, match="S3 reading failed in s3://acme-backups/t1: "):
        store.get("config")


def test_exclusive_put_sends_if_none_match(stubbed: tuple[S3Store, Stubber]) -> None:
    store, stubber = stubbed
    stubber.add_response(
        "put_object",
        {},
        {"Bucket": "acme-backups", "Key": "t1/keys/k", "Body": b"x", "IfNoneMatch": "*"},
    )
    store.put("keys/k", b"x", exclusive=True)
