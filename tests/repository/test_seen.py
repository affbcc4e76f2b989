"""The session's set of blob ids moves to disk past its bound and still answers exactly."""

from __future__ import annotations

import os
from pathlib import Path

from remit.repository.seen import SeenBlobs


def test_ids_stay_known_after_they_move_to_disk_and_the_file_goes_at_close() -> None:
    seen = SeenBlobs(spill=100)
    ids = [os.urandom(32) for _ in range(1_050)]
    for blob_id in ids:
        seen.add(blob_id)
    assert seen._path is not None  # it did spill
    assert Path(seen._path).exists()
    assert len(seen._recent) < 100
    assert all(blob_id in seen for blob_id in ids)
    assert not any(os.urandom(32) in seen for _ in range(1_000))
    seen.add(ids[0])  # adding a known id again is harmless
    assert ids[0] in seen
    path = seen._path
    seen.close()
    assert not Path(path).exists()
    seen.close()  # twice is fine


def test_a_small_session_never_touches_the_disk() -> None:
    seen = SeenBlobs(spill=100)
    for _ in range(99):
        seen.add(os.urandom(32))
    assert seen._path is None
    seen.close()
