"""Deduplication and compression, measured on what the store actually holds.

The same attachment mailed to fifty people is stored once although every message differs;
the same file in two folders or two snapshots is stored once; incompressible data is stored
as it is while text is compressed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from remit.repository.archiver import backup_dir
from remit.repository.format import BlobType
from remit.repository.restorer import restore_dir
from tests.repository.builders import new_repo, random_bytes, stored_bytes, write_file

KiB = 1024
SEALING_OVERHEAD = 1 + 12 + 16  # compression flag, nonce, GCM tag


def _message(n: int, attachment: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{n % 3}@contoso.com"
    msg["To"] = f"recipient{n}@fabrikam.com"
    if n % 2:
        msg["Cc"] = f"team{n}@fabrikam.com"
    msg["Subject"] = f"Quarterly figures, copy {n}"
    msg["Date"] = format_datetime(datetime(2024, 3, 1, tzinfo=UTC) + timedelta(minutes=n))
    msg["Message-ID"] = f"<{n}.figures@contoso.com>"
    msg.set_content(f"Hello {n},\n\nplease find the figures attached.\n" + "Regards.\n" * n)
    msg.add_attachment(
        attachment, maintype="application", subtype="octet-stream", filename="figures.xlsx"
    )
    raw = msg.as_bytes()
    return raw.replace(b"\n", b"\r\n") if n % 4 == 0 else raw  # both line-end styles


def test_same_attachment_in_fifty_messages_is_stored_once(tmp_path: Path) -> None:
    attachment = random_bytes(300 * KiB, 42)
    source = tmp_path / "mail"
    messages = {f"msg-{n:02d}.eml": _message(n, attachment) for n in range(50)}
    for name, raw in messages.items():
        write_file(source / "inbox" / name, raw)
    assert len(set(messages.values())) == 50
    repo = new_repo(tmp_path / "repo")
    before = stored_bytes(repo.store)
    snapshot, _ = backup_dir(repo, source)
    grown = stored_bytes(repo.store) - before
    total_mail = sum(len(raw) for raw in messages.values())
    assert total_mail > 50 * len(attachment)
    assert grown < 3 * len(attachment), (grown, len(attachment))
    assert snapshot.summary["new_bytes"] < 2 * len(attachment)
    report = restore_dir(repo, snapshot, tmp_path / "out")
    assert report.failed == []
    for name, raw in messages.items():
        assert (tmp_path / "out" / "inbox" / name).read_bytes() == raw


def test_same_file_in_two_folders_and_two_snapshots_is_stored_once(tmp_path: Path) -> None:
    data = random_bytes(2 * 1024 * KiB + 77, 7)
    source = tmp_path / "src"
    write_file(source / "a" / "report.pdf", data)
    write_file(source / "b" / "copy-of-report.pdf", data)
    repo = new_repo(tmp_path / "repo")
    first, _ = backup_dir(repo, source)
    assert len(data) <= first.summary["new_bytes"] < len(data) + 64 * KiB
    other = tmp_path / "other"
    write_file(other / "deep" / "again.pdf", data)
    second, _ = backup_dir(repo, other)  # another resource: no parent, the file is read again
    assert second.parent is None
    assert second.summary["reused_files"] == 0
    assert second.summary["new_bytes"] < 4 * KiB  # only folder listings
    data_raw = sum(
        e.raw_length
        for record in repo.index(reload=True).packs.values()
        for e in record.entries
        if e.blob_type == BlobType.DATA
    )
    assert data_raw == len(data)
    assert stored_bytes(repo.store, "data/") < len(data) + 64 * KiB
    restore_dir(repo, second, tmp_path / "out")
    assert (tmp_path / "out" / "deep" / "again.pdf").read_bytes() == data


def test_incompressible_data_is_stored_and_text_is_compressed(tmp_path: Path) -> None:
    noise = random_bytes(600 * KiB, 8)
    text = b"".join(
        b"line %d: the quick brown fox jumps over the lazy dog\n" % i for i in range(20000)
    )
    source = tmp_path / "src"
    write_file(source / "noise.bin", noise)
    write_file(source / "log.txt", text)
    repo = new_repo(tmp_path / "repo")
    snapshot, _ = backup_dir(repo, source)
    data = [loc for _, loc in repo.index().blobs() if loc.blob_type == BlobType.DATA]
    noise_locs = [loc for loc in data if loc.length >= loc.raw_length]
    text_locs = [loc for loc in data if loc.length < loc.raw_length]
    assert sum(loc.raw_length for loc in noise_locs) == len(noise)
    assert all(loc.length == loc.raw_length + SEALING_OVERHEAD for loc in noise_locs)
    assert sum(loc.raw_length for loc in text_locs) == len(text)
    assert sum(loc.length for loc in text_locs) < len(text) // 5
    restore_dir(repo, snapshot, tmp_path / "out")
    assert (tmp_path / "out" / "noise.bin").read_bytes() == noise
    assert (tmp_path / "out" / "log.txt").read_bytes() == text
