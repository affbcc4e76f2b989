"""What a writer session holds in memory is bounded whatever the size of the data.

Chunks are views into read buffers, and a view keeps its whole buffer alive: the writer counts
each buffer once, in full, against its in-flight budget, and packs go to a spool file as blobs
are sealed, so neither grows with the data.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from remit.repository import writer as writer_module
from remit.repository.format import BlobType
from remit.repository.writer import Writer
from tests.repository.builders import new_repo, reopen

MiB = 1024 * 1024


def test_read_buffers_count_in_full_and_stay_within_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = 3 * MiB
    monkeypatch.setattr(writer_module, "_IN_FLIGHT", budget)
    repo = new_repo(tmp_path / "repo")
    writer = Writer(repo)
    most = 0
    lock = threading.Lock()
    reserve = writer._reserve

    def watched(data: bytes | memoryview) -> bytes | bytearray | memoryview:
        nonlocal most
        held = reserve(data)
        with lock:
            most = max(most, writer._in_flight)
        return held

    monkeypatch.setattr(writer, "_reserve", watched)
    buffers = [bytearray(os.urandom(MiB)) for _ in range(12)]
    for buffer in buffers:  # a small chunk of each buffer pins all of it
        writer.add(BlobType.DATA, memoryview(buffer)[:4096])
        writer.add(BlobType.DATA, memoryview(buffer)[4096:8192])
    writer.flush()
    writer.close()

    assert 2 * MiB <= most <= budget  # whole buffers were counted, never over the budget
    assert writer._in_flight == 0
    assert writer._views == {}
    fresh = reopen(repo)
    for buffer in buffers:
        blob_id = fresh.keyring.blob_id(bytes(buffer[:4096]))
        assert fresh.read_blob(blob_id, BlobType.DATA) == bytes(buffer[:4096])


def test_packs_are_written_to_a_spool_as_blobs_are_sealed(tmp_path: Path) -> None:
    """The open pack lives in a temporary file in the repository (not in memory) and is
    renamed into place when it is closed; nothing temporary is left."""
    repo = new_repo(tmp_path / "repo")
    writer = Writer(repo)
    for _ in range(4):
        writer.add(BlobType.DATA, os.urandom(MiB))
    for future in list(writer._futures):
        future.result()  # every blob sealed, the pack still open
    spools = list((tmp_path / "repo" / "data").glob(".tmp-*"))
    assert len(spools) == 1
    assert spools[0].stat().st_size >= 4 * MiB
    writer.flush()
    writer.close()
    assert list((tmp_path / "repo").rglob(".tmp-*")) == []
    packs = [p for p in (tmp_path / "repo" / "data").rglob("*") if p.is_file()]
    assert len(packs) == 1
    assert packs[0].stat().st_size >= 4 * MiB
