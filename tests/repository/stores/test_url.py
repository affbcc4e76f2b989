"""open_store: every accepted location form, the environment it reads, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.errors import InvalidInput, RepositoryError, StorageError
from remit.repository.stores import LocalStore, ObjectLock, S3Store, open_store
from tests.repository.conftest import S3Server


def s3_store(location: str, **env: str) -> S3Store:
    store = open_store(location, environ=env)
    assert isinstance(store, S3Store)
    return store


def test_local_path_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))

    for location in (str(repo), "repo", "./repo", "~/repo", f"file://{repo}", f"  {repo}  "):
        store = open_store(location)
        assert isinstance(store, LocalStore), location
        assert store.root == repo, location
    assert open_store(f"file://localhost{repo}").location == str(repo)
    assert open_store("file:///tmp/a%20b", create=True).location == "/tmp/a b"


def test_local_create_makes_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "repo"
    with pytest.raises(RepositoryError, match=f"no repository at {target}: the directory"):
        open_store(str(target))
    store = open_store(str(target), create=True)
    assert target.is_dir()
    store.put("config", b"x")
    assert open_store(str(target)).get("config") == b"x"


def test_local_create_failure_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"not a directory")
    with pytest.raises(StorageError, match="cannot create repository directory"):
        open_store(str(tmp_path / "file" / "repo"), create=True)


def test_s3_bucket_and_prefix() -> None:
    store = s3_store("s3://acme-backups/tenants/t1/")
    assert (store.bucket, store.prefix) == ("acme-backups", "tenants/t1/")
    assert store.location == "s3://acme-backups/tenants/t1"
    bare = s3_store("s3://acme-backups")
    assert (bare.bucket, bare.prefix, bare.location) == ("acme-backups", "", "s3://acme-backups")


def test_s3_endpoint_region_and_lock_from_the_environment() -> None:
    store = s3_store(
        "s3://bk1/p",
        REMIT_S3_ENDPOINT="https://minio.local:9000/",
        AWS_ENDPOINT_URL="https://ignored.example",
        AWS_DEFAULT_REGION="eu-west-2",
        REMIT_S3_OBJECT_LOCK="Compliance:365",
    )
    assert store.location == "s3:https://minio.local:9000/bk1/p"
    assert store._region == "eu-west-2"
    assert store._object_lock == ObjectLock("COMPLIANCE", 365)

    assert s3_store("s3://bk1", AWS_ENDPOINT_URL_S3="http://h:1").location == "s3:http://h:1/bk1"
    assert s3_store("s3://bk1", AWS_ENDPOINT_URL="http://h:2").location == "s3:http://h:2/bk1"
    defaults = s3_store("s3://bk1", AWS_REGION="ca-central-1", REMIT_S3_OBJECT_LOCK="")
    assert defaults._region == "ca-central-1"
    assert defaults._object_lock is None
    assert defaults._endpoint_url is None
    assert s3_store("s3://bk1")._region == "us-east-1"
    governance = s3_store("s3://bk1", REMIT_S3_OBJECT_LOCK="governance:30")
    assert governance._object_lock == ObjectLock("GOVERNANCE", 30)


def test_restic_style_endpoint_url() -> None:
    store = s3_store("s3:http://127.0.0.1:9000/acme/repo/x", REMIT_S3_ENDPOINT="http://other:1")
    assert (store.bucket, store.prefix) == ("acme", "repo/x/")
    assert store._endpoint_url == "http://127.0.0.1:9000"
    assert s3_store("s3:https://s3.example.com/acme").location == "s3:https://s3.example.com/acme"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("", "empty repository location"),
        ("   ", "empty repository location"),
        ("sftp://host/repo", "unsupported repository location scheme 'sftp:'"),
        ("b2:bucket", "unsupported repository location scheme 'b2:'"),
        ("file://server/share/repo", "names host 'server'"),
        ("file:relative", "bad file URL"),
        ("s3://", "bad S3 bucket name ''"),
        ("s3://Upper_Case/x", "bad S3 bucket name 'Upper_Case'"),
        ("s3://ab", "bad S3 bucket name 'ab'"),
        ("s3://a..b", "bad S3 bucket name"),
        ("s3://bucket/a//b", "bad S3 prefix 'a//b'"),
        ("s3://bucket/a/../b", "bad S3 prefix"),
        ("s3://bucket/p?x=1", "no '?' or '#' allowed"),
        ("s3:ftp://host/bucket", "after 's3:' give http(s)://host[:port]/bucket/prefix"),
        ("s3:bucket/prefix", "after 's3:' give http(s)://host[:port]/bucket/prefix"),
        ("s3:https://host:port/bucket", "the port is not a number"),
        ("s3:https://host:9000/", "no bucket after the endpoint"),
        ("s3:https://host:9000", "no bucket after the endpoint"),
    ],
)
def test_bad_locations_are_invalid_input(location: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        open_store(location, environ={})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "location", ["s3://AKIAKEY:s3cr3t@bucket/p", "s3:https://AKIAKEY:s3cr3t@host/bucket"]
)
def test_credentials_in_a_location_are_refused_without_echoing_them(location: str) -> None:
    with pytest.raises(InvalidInput, match="must not contain credentials") as caught:
        open_store(location, environ={})
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    "value", ["governance", "compliance:", "legal:30", "governance:0", "compliance:99999", "30"]
)
def test_bad_object_lock_setting(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        open_store("s3://bucket", environ={"REMIT_S3_OBJECT_LOCK": value})
    assert str(caught.value).startswith(f"REMIT_S3_OBJECT_LOCK={value!r} is not valid: expected ")
    assert "governance:DAYS or compliance:DAYS" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("REMIT_S3_ENDPOINT", "minio:9000"), ("AWS_ENDPOINT_URL", "ftp://host")],
)
def test_bad_endpoint_setting(name: str, value: str) -> None:
    with pytest.raises(InvalidInput, match=f"{name}='{value}' is not an endpoint URL"):
        open_store("s3://bucket", environ={name: value})


def test_endpoint_setting_with_credentials_is_refused_quietly() -> None:
    with pytest.raises(InvalidInput, match="must not contain credentials") as caught:
        open_store("s3://bucket", environ={"REMIT_S3_ENDPOINT": "https://k:s3cr3t@host"})
    assert "s3cr3t" not in str(caught.value)


def test_opened_s3_store_works_against_moto(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3.new_bucket()
    monkeypatch.setenv("REMIT_S3_ENDPOINT", s3.endpoint)
    store = open_store(f"s3://{bucket}/tenant-a")
    store.put("config", b"cfg", exclusive=True)
    assert store.get("config") == b"cfg"
    assert s3.client.get_object(Bucket=bucket, Key="tenant-a/config")["Body"].read() == b"cfg"

    restic = open_store(f"s3:{s3.endpoint}/{bucket}/tenant-a", environ={})
    assert restic.get("config") == b"cfg"
