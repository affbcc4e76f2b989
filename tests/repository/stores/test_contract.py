"""The ``Store`` contract, run against every backend (local disk, and S3 via a real moto server)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from remit.errors import ObjectExists, ObjectMissing
from remit.repository.stores import LocalStore, ObjectInfo, S3Store, Store
from tests.repository.conftest import S3Server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        root = tmp_path / "repo"
        root.mkdir()
        return LocalStore(root)
    s3: S3Server = request.getfixturevalue("s3")
    bucket = s3.new_bucket()
    return S3Store(bucket, "team/repo", endpoint_url=s3.endpoint, region="us-east-1")


def listing(store: Store, prefix: str) -> dict[str, int]:
    found = [(info.key, info.size) for info in store.list(prefix)]
    assert len(found) == len(set(found)), "list() returned an object twice"
    return dict(found)


def test_put_then_get_returns_the_bytes(store: Store) -> None:
    data = os.urandom(100_000)
    store.put("data/3f/3f01", data)
    store.put("config", b"")

    assert store.get("data/3f/3f01") == data
    assert store.get("config") == b""
    assert store.size("data/3f/3f01") == 100_000
    assert store.size("config") == 0
    assert store.exists("data/3f/3f01")
    assert store.exists("config")


def test_get_range_reads_a_slice_and_stops_at_the_end(store: Store) -> None:
    data = bytes(range(256)) * 4
    store.put("packs/p", data)

    assert store.get_range("packs/p", 0, 10) == data[:10]
    assert store.get_range("packs/p", 500, 24) == data[500:524]
    assert store.get_range("packs/p", 1000, 100) == data[1000:]  # fewer at the end
    assert store.get_range("packs/p", 1024, 10) == b""
    assert store.get_range("packs/p", 5000, 10) == b""
    assert store.get_range("packs/p", 3, 0) == b""
    store.put("packs/empty", b"")
    assert store.get_range("packs/empty", 0, 10) == b""


def test_list_filters_by_prefix(store: Store) -> None:
    objects = {
        "config": 3,
        "keys/k1": 4,
        "data/3f/3f01": 5,
        "data/3f/3f02": 6,
        "data/40/40aa": 7,
        "snapshots/s1": 8,
        "snapshotsX": 9,
    }
    for key, size in objects.items():
        store.put(key, b"x" * size)

    assert listing(store, "") == objects
    assert listing(store, "data/") == {k: v for k, v in objects.items() if k.startswith("data/")}
    assert listing(store, "data/3f/") == {"data/3f/3f01": 5, "data/3f/3f02": 6}
    assert listing(store, "data/3f/3f0") == {"data/3f/3f01": 5, "data/3f/3f02": 6}
    assert listing(store, "data/3") == {"data/3f/3f01": 5, "data/3f/3f02": 6}
    assert listing(store, "snapshots/") == {"snapshots/s1": 8}
    assert listing(store, "snapshots") == {"snapshots/s1": 8, "snapshotsX": 9}
    assert listing(store, "nothing/") == {}
    assert listing(store, "data/99/") == {}
    assert all(isinstance(info, ObjectInfo) for info in store.list("keys/"))


def test_delete_removes_and_tolerates_missing(store: Store) -> None:
    store.put("locks/l1", b"lock")
    store.delete("locks/l1")
    store.delete("locks/l1")
    store.delete("locks/never-there")

    assert not store.exists("locks/l1")
    assert listing(store, "locks/") == {}


def test_missing_objects_raise_object_missing(store: Store) -> None:
    store.put("data/aa/present", b"x")  # the directory / bucket exist; the object does not
    assert not store.exists("data/aa/absent")
    for call in (
        lambda: store.get("data/aa/absent"),
        lambda: store.get_range("data/aa/absent", 0, 5),
        lambda: store.get_range("data/aa/absent", 0, 0),
        lambda: store.size("data/aa/absent"),
        lambda: store.get("nodir/absent"),
    ):
        with pytest.raises(ObjectMissing, match="is missing from"):
            call()


def test_exclusive_put_refuses_to_overwrite(store: Store) -> None:
    store.put("keys/k1", b"first", exclusive=True)
    with pytest.raises(ObjectExists, match="already exists"):
        store.put("keys/k1", b"second", exclusive=True)
    assert store.get("keys/k1") == b"first"


def test_exclusive_put_after_delete_succeeds(store: Store) -> None:
    store.put("locks/l", b"one", exclusive=True)
    store.delete("locks/l")
    store.put("locks/l", b"two", exclusive=True)
    assert store.get("locks/l") == b"two"


def test_plain_put_overwrites(store: Store) -> None:
    store.put("index/i", b"old version")
    store.put("index/i", b"new")
    assert store.get("index/i") == b"new"
    assert store.size("index/i") == 3


def test_concurrent_exclusive_creates_have_exactly_one_winner(tmp_path: Path) -> None:
    """On the local store (an O_EXCL link). For S3 the guarantee is the server's: the store
    sends If-None-Match (see the sequential exclusive tests); moto checks and writes without a
    lock, so racing it would test moto, and sometimes fail for moto's reasons."""
    (tmp_path / "store").mkdir()
    store = LocalStore(tmp_path / "store")
    threads = 8
    for round_ in range(5):
        key = f"locks/race-{round_}"
        barrier = threading.Barrier(threads)

        def attempt(n: int, key: str = key, barrier: threading.Barrier = barrier) -> int | None:
            barrier.wait(timeout=30)
            try:
                store.put(key, f"writer {n}".encode(), exclusive=True)
            except ObjectExists:
                return None
            return n

        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(attempt, range(threads)))
        winners = [n for n in results if n is not None]
        assert len(winners) == 1, f"round {round_}: winners {winners}"
        assert store.get(key) == f"writer {winners[0]}".encode()


def test_readers_never_see_a_partial_overwrite(store: Store) -> None:
    versions = [bytes([n]) * 300_000 for n in range(4)]
    store.put("index/big", versions[0])
    writing_done = threading.Event()
    seen: list[bytes] = []

    def write() -> None:
        try:
            for n in range(1, 13):
                store.put("index/big", versions[n % len(versions)])
        finally:
            writing_done.set()

    def read() -> None:
        while not writing_done.is_set():
            data = store.get("index/big")
            assert data in versions, f"torn read: {len(data)} bytes"
            seen.append(data[:1])

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(write), pool.submit(read), pool.submit(read)]
        for future in futures:
            future.result(timeout=60)
    assert store.get("index/big") == versions[12 % len(versions)]


@pytest.mark.parametrize(
    "bad", ["", "/abs", "a//b", "a/../b", "..", "./a", "a/", "data/.tmp-x", "a\\b", "a\0b"]
)
def test_bad_keys_are_programming_errors(store: Store, bad: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.put(bad, b"x"),
        lambda: store.get(bad),
        lambda: store.exists(bad),
        lambda: store.delete(bad),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="invalid object key"):
            call()


@pytest.mark.parametrize("bad", ["/data", "data//", "../", "a/./b"])
def test_bad_prefixes_are_programming_errors(store: Store, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid object prefix"):
        list(store.list(bad))


def test_location_names_the_store(store: Store) -> None:
    if isinstance(store, LocalStore):
        assert store.location == str(store.root)
    else:
        assert isinstance(store, S3Store)
        assert store.location.startswith("s3:http://127.0.0.1:")
        assert store.location.endswith(f"/{store.bucket}/team/repo")


def test_a_spool_is_published_whole_and_leaves_nothing_behind(store: Store) -> None:
    """Packs are built in a spool file and published with put: the object appears whole, no
    listing ever shows the spool, and discarding it afterwards (or instead) leaves nothing."""
    parts = [os.urandom(700_000), b"", os.urandom(3), os.urandom(1_500_000)]
    spool = store.spool()
    for part in parts:
        spool.write(part)
    assert spool.size == sum(map(len, parts))
    assert listing(store, "") == {}
    store.put("data/ab/ab01", spool)
    spool.discard()
    assert store.get("data/ab/ab01") == b"".join(parts)
    abandoned = store.spool()
    abandoned.write(b"a pack whose backup failed")
    abandoned.discard()
    assert listing(store, "") == {"data/ab/ab01": sum(map(len, parts))}
    if isinstance(store, LocalStore):
        leftovers = [p.name for p in store.root.rglob("*") if p.name.startswith(".tmp-")]
        assert leftovers == []


def test_an_exclusive_put_of_a_spool_refuses_to_overwrite(store: Store) -> None:
    store.put("snapshots/s1", b"first")
    spool = store.spool()
    spool.write(b"second")
    with pytest.raises(ObjectExists):
        store.put("snapshots/s1", spool, exclusive=True)
    spool.discard()
    assert store.get("snapshots/s1") == b"first"


def test_clean_temporary_removes_a_crashed_writers_spool_and_never_an_object(
    store: Store,
) -> None:
    store.put("data/ab/ab01", b"kept")
    crashed = store.spool()  # a writer that died mid-pack: never published nor discarded
    crashed.write(b"half a pack")
    crashed.file.flush()
    removed = store.clean_temporary(0)
    assert removed == (1 if isinstance(store, LocalStore) else 0)  # S3 spools live in TMPDIR
    assert listing(store, "") == {"data/ab/ab01": 4}
    assert store.get("data/ab/ab01") == b"kept"
    if isinstance(store, LocalStore):
        assert list(store.root.rglob(".tmp-*")) == []
    crashed.discard()
