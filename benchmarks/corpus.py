"""A deterministic Microsoft 365-shaped file tree for the repository benchmark.

    .venv/bin/python benchmarks/corpus.py OUT [--size-mb 1024] [--seed 1] [--day 0]

Day 0 writes a new tree into OUT (about SIZE MiB; shares of bytes roughly mail 35 %, OneDrive
29 %, SharePoint 19 %, media 9 %, Teams recordings 8 %):

- ``mail/<mailbox>/<folder>/<n>.eml``: RFC 5322 messages (CRLF) with text/plain and text/html
  alternatives of 1–20 KB of words; ~17 % carry 1–3 attachments, base64 at 76 characters a
  line, picked Zipf-like from a shared pool (~300 at 1 GiB) so the same attachment recurs across
  mailboxes, encoded identically each time.
- ``onedrive/<user>/Documents/…`` and ``sharepoint/<site>/Shared Documents/…``: office documents
  (zip containers: mostly incompressible "deflate" data plus some plain XML), PDFs (text content
  streams plus compressed-looking streams), CSV and text exports. ~10 % of SharePoint files are
  byte-identical copies of OneDrive files.
- ``media/<user>/{Pictures,Videos}/…``: incompressible images and videos;
  ``teams/recordings/*.mp4``: 1–2 large incompressible recordings (50–150 MB at 1 GiB and up).

Day 1 (same SIZE and SEED, on an existing day-0 tree, in place) applies a day of changes: ≈2 %
new messages, ≈3 % of documents edited (a few KB inserted or replaced in the middle, so
content-defined chunking can keep the rest), ≈1 % of files deleted and a few new files.

Every byte comes from ``random.Random`` seeded from SEED (and a per-file name), never from
``os.urandom``: the same arguments give the same tree. Incompressible content is generated per
file, so nothing deduplicates by accident; text is built from a pool of sentences.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import random
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

MIB = 1024 * 1024
KIB = 1024
SHARES = {"mail": 0.35, "onedrive": 0.29, "sharepoint": 0.19, "media": 0.09, "teams": 0.08}
CATEGORIES = tuple(SHARES)
MAIL_FOLDERS = ("Inbox", "Inbox", "Sent Items", "Archive")  # Inbox twice: it holds the most
DOC_KINDS = ("docx", "xlsx", "pptx", "pdf", "csv", "txt")
DOC_WEIGHTS = (30, 20, 8, 25, 10, 7)
ATTACHMENT_KINDS = ("pdf", "docx", "xlsx", "jpg", "png")
ATTACHMENT_WEIGHTS = (40, 25, 15, 15, 5)
MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
EPOCH = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

FIRST = (  # noqa: SIM905 (a word list reads better as text)
    "Adele Alex Allan Ben Chloe Diego Emily Enrico Grady Henrietta Isaiah Johanna Joni Lee Lidia "
    "Lynne Megan Miriam Nestor Patti Pradeep Raul Sam Tara Una Victor Wanda Xavier Yusuf Zoe"
).split()
LAST = (  # noqa: SIM905 (a word list reads better as text)
    "Vance Wilber Langer Dunn Brown Gonzalez Walker Mueller Mendoza Lambert Smith Adams Sherman "
    "Zhang Holloway Patel Nakamura Okafor Jensen Rossi Kowalski Silva Novak Ibrahim Moreau"
).split()
SITES = (  # noqa: SIM905 (a word list reads better as text)
    "Finance Marketing HR Engineering Sales Legal Operations IT Projects Executive Support "
    "Facilities"
).split()
SUBFOLDERS = (
    "",
    "Projects/Apollo",
    "Projects/Borealis",
    "Projects/Cascade",
    "Finance",
    "Reports/2023",
    "Reports/2024",
    "HR",
    "Meeting Notes",
    "Customers/Contoso",
    "Customers/Fabrikam",
    "Customers/Northwind",
    "Templates",
)
TOPICS = (  # noqa: SIM905 (a word list reads better as text)
    "Quarterly Report|Budget|Proposal|Meeting Notes|Contract|Invoice|Roadmap|Status Update|"
    "Forecast|Policy|Onboarding|Presentation|Design Review|Audit|Sales Pipeline|Price List"
).split("|")
WORDS = (  # noqa: SIM905 (a word list reads better as text)
    "the of and to a in is it you that he was for on are with as his they be at one have this "
    "from or had by not word but what some we can out other were all there when up use your how "
    "said an each she which do their time if will way about many then them write would like so "
    "these her long make thing see him two has look more day could go come did number sound no "
    "most people my over know water than call first who may down side been now find any new "
    "work part take get place made live where after back little only round man year came show "
    "every good me give our under name very through just form sentence great think say help low "
    "line differ turn cause much mean before move right boy old too same tell does set three "
    "want air well also play small end put home read hand port large spell add even land here "
    "must big high such follow act why ask men change went light kind off need house picture try "
    "us again animal point mother world near build self earth father customer tenant invoice "
    "quarter revenue budget forecast project deadline meeting review approval contract renewal "
    "licence migration mailbox backup policy compliance audit security access report status "
    "update schedule team manager director finance marketing sales support ticket request "
    "please thanks regards attached document draft final version agenda minutes action items "
    "follow-up next week tomorrow Monday Friday deliverable milestone stakeholder proposal"
).split()


# --- content ------------------------------------------------------------------------------------


def random_bytes(rng: random.Random, n: int) -> bytes:
    """Incompressible bytes, fresh for every call (so they never deduplicate by accident)."""
    return rng.randbytes(n) if n > 0 else b""


class Text:
    """Word text from a pool of sentences (one a line, CRLF), cheap to draw in bulk."""

    def __init__(self, rng: random.Random, sentences: int = 20_000) -> None:
        ranks = range(1, len(WORDS) + 1)
        cum: list[float] = []
        total = 0.0
        for rank in ranks:  # Zipf-like word frequencies
            total += 1.0 / rank
            cum.append(total)
        pool: list[bytes] = []
        for _ in range(sentences):
            words = rng.choices(WORDS, cum_weights=cum, k=rng.randint(5, 22))
            line = " ".join(words)
            pool.append((line[0].upper() + line[1:] + ".\r\n").encode())
        self.lines = pool
        self.html = [b"<p>" + line[:-2] + b"</p>\r\n" for line in pool]
        self.mean = sum(map(len, pool)) / len(pool)

    def draw(self, rng: random.Random, n: int, *, html: bool = False) -> bytes:
        """About ``n`` bytes of whole lines."""
        pool = self.html if html else self.lines
        return b"".join(rng.choices(pool, k=max(1, round(n / self.mean))))

    def csv(self, rng: random.Random, n: int) -> bytes:
        """About ``n`` bytes of a CSV export: an id, a date, an amount and a sentence a row."""
        rows = max(1, round(n / (self.mean + 28)))
        base = rng.randrange(10_000, 90_000)
        lines = rng.choices(self.lines, k=rows)
        amounts = [rng.randrange(100, 10_000_000) for _ in range(rows)]
        out = [b"Id,Date,Amount,Description\r\n"]
        out += [
            b'%d,2024-%02d-%02d,%d.%02d,"%s"\r\n'
            % (base + i, 1 + i % 12, 1 + i % 28, a // 100, a % 100, line[:-3])
            for i, (a, line) in enumerate(zip(amounts, lines, strict=True))
        ]
        return b"".join(out)


def xml_part(text: Text, rng: random.Random, n: int) -> bytes:
    body = text.draw(rng, n).replace(b"\r\n", b"</w:t></w:r><w:r><w:t>")
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document><w:r><w:t>' + (
        body + b"</w:t></w:r></w:document>"
    )


def office(text: Text, rng: random.Random, size: int, kind: str) -> bytes:
    """A zip container: ~92 % incompressible parts standing for deflate output, ~8 % plain XML."""
    folder = {"docx": "word", "xlsx": "xl", "pptx": "ppt"}[kind]
    buffer = io.BytesIO()
    xml = max(2 * KIB, size // 12)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:

        def put(name: str, data: bytes) -> None:  # a fixed time: the same bytes every run
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6)), data)

        put("[Content_Types].xml", xml_part(text, rng, 600))
        put("docProps/core.xml", xml_part(text, rng, 400))
        put(f"{folder}/styles.xml", xml_part(text, rng, xml))
        rest = max(KIB, size - xml - 2 * KIB)
        parts = 1 + min(4, rest // (256 * KIB))
        for i in range(parts):
            name = f"{folder}/document.xml" if i == 0 else f"{folder}/media/image{i}.jpeg"
            put(name, random_bytes(rng, rest // parts))
    return buffer.getvalue()


def pdf(text: Text, rng: random.Random, size: int) -> bytes:
    """PDF-shaped: ~35 % uncompressed text content streams, the rest compressed-looking streams."""
    out = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
    written, number = 0, 1
    while written < size:
        n = min(size - written, rng.randint(8 * KIB, 128 * KIB))
        if rng.random() < 0.35:
            lines = text.draw(rng, n).split(b"\r\n")
            stream = b"BT /F1 11 Tf 72 720 Td 14 TL\n" + b"".join(
                b"(" + line + b") '\n" for line in lines if line
            )
            stream += b"ET\n"
            head = b"%d 0 obj\n<< /Length %d >>\nstream\n" % (number, len(stream))
        else:
            stream = random_bytes(rng, n)
            head = b"%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\n" % (
                number,
                len(stream),
            )
        out += [head, stream, b"\nendstream\nendobj\n"]
        written += len(head) + len(stream) + 18
        number += 1
    out.append(b"xref\n0 %d\ntrailer\n<< /Size %d /Root 1 0 R >>\n%%%%EOF\n" % (number, number))
    return b"".join(out)


def media(rng: random.Random, size: int, kind: str) -> bytes:
    heads = {
        "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
    }
    head = heads[kind]
    return head + random_bytes(rng, max(0, size - len(head)))


def document(text: Text, rng: random.Random, size: int, kind: str) -> bytes:
    if kind in ("docx", "xlsx", "pptx"):
        return office(text, rng, size, kind)
    if kind == "pdf":
        return pdf(text, rng, size)
    if kind == "csv":
        return text.csv(rng, size)
    if kind == "txt":
        return text.draw(rng, size)
    return media(rng, size, kind)


def skewed(rng: random.Random, low: int, high: int, power: float = 2.0) -> int:
    """A size between low and high, log-scaled and skewed towards low."""
    return int(low * (high / low) ** (rng.random() ** power))


DOC_SIZES = {  # (low, high, skew power)
    "docx": (15 * KIB, 2 * MIB, 2.0),
    "xlsx": (10 * KIB, 4 * MIB, 2.0),
    "pptx": (200 * KIB, 20 * MIB, 1.5),
    "pdf": (30 * KIB, 9 * MIB, 2.0),
    "csv": (5 * KIB, 5 * MIB, 2.0),
    "txt": (1 * KIB, 200 * KIB, 2.0),
}


# --- the tree -----------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a generation step wrote or changed."""

    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_files(self) -> int:
        return sum(self.files.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())


@dataclass(frozen=True)
class Attachment:
    kind: str
    name: str
    size: int
    seed: str


class Corpus:
    """Writes one tree; every random choice comes from seeded generators."""

    def __init__(self, root: Path, size_mb: int, seed: int, day: int) -> None:
        self.root, self.seed, self.day = root, seed, day
        self.budget = size_mb * MIB
        self.rng = random.Random(f"{seed}:day{day}")
        self.text = Text(random.Random(f"{seed}:text"))
        self.users = [
            f"{FIRST[i % len(FIRST)].lower()}.{LAST[(i * 7) % len(LAST)].lower()}"
            for i in range(max(4, min(40, size_mb // 25)))
        ]
        self.sites = list(SITES[: max(3, min(len(SITES), size_mb // 85))])
        self.pool = self._pool(max(30, min(300, round(300 * size_mb / 1024))))
        self.encoded: dict[int, bytes] = {}
        self.written = 0
        self.next_eml: dict[Path, int] = {}

    def _pool(self, n: int) -> list[Attachment]:
        rng = random.Random(f"{self.seed}:pool")
        pool = []
        for i in range(n):
            kind = rng.choices(ATTACHMENT_KINDS, ATTACHMENT_WEIGHTS)[0]
            size = skewed(rng, 20 * KIB, 3 * MIB)
            name = f"{rng.choice(TOPICS)} {i + 1}.{kind}"
            pool.append(Attachment(kind, name, size, f"{self.seed}:attachment:{i}"))
        return pool

    def write(self, relative: Path, data: bytes) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written += len(data)

    # --- mail

    def attachment_b64(self, index: int) -> bytes:
        """A pooled attachment, base64 at 76 characters a line, the same bytes every time."""
        if index not in self.encoded:
            item = self.pool[index]
            raw = document(self.text, random.Random(item.seed), item.size, item.kind)
            self.encoded[index] = base64.encodebytes(raw).replace(b"\n", b"\r\n")
        return self.encoded[index]

    def pick_attachment(self) -> int:
        n = len(self.pool)
        return min(n - 1, int((n + 1) ** self.rng.random()) - 1)  # P(rank k) ~ 1/k

    def message(self, mailbox: int, when: datetime) -> bytes:
        rng = self.rng
        me = self.users[mailbox]
        other = f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}"
        domain = rng.choice(("contoso.com", "fabrikam.com", "northwind.example", "contoso.com"))
        sender, to = (f"{me}@contoso.com", f"{other}@{domain}")
        if rng.random() < 0.6:
            sender, to = to, sender
        subject = f"{rng.choice(('', 'RE: ', 'FW: '))}{rng.choice(TOPICS)} {rng.randrange(1000)}"
        token = f"{rng.getrandbits(64):016x}"
        body = skewed(rng, KIB, 20 * KIB, 1.0)
        attachments = []
        if rng.random() < 0.17:
            attachments = [self.pick_attachment() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        mixed, alternative = f"mixed_{token}", f"alt_{token}"
        head = (
            f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: {format_datetime(when)}\r\nMessage-ID: <{token}.{mailbox}@contoso.com>\r\n"
            f"MIME-Version: 1.0\r\n"
        ).encode()
        alt = b"".join(
            [
                f'Content-Type: multipart/alternative; boundary="{alternative}"\r\n\r\n'.encode(),
                f"--{alternative}\r\n".encode(),
                b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit'
                b"\r\n\r\n",
                self.text.draw(rng, body),
                f"\r\n--{alternative}\r\n".encode(),
                b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit'
                b"\r\n\r\n<html><body>\r\n",
                self.text.draw(rng, body, html=True),
                f"</body></html>\r\n\r\n--{alternative}--\r\n".encode(),
            ]
        )
        if not attachments:
            return head + alt
        parts = [head, f'Content-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n'.encode()]
        parts += [f"--{mixed}\r\n".encode(), alt]
        for index in attachments:
            item = self.pool[index]
            parts.append(
                (
                    f'\r\n--{mixed}\r\nContent-Type: {MIME_TYPES[item.kind]}; name="{item.name}"'
                    f'\r\nContent-Disposition: attachment; filename="{item.name}"\r\n'
                    f"Content-Transfer-Encoding: base64\r\n\r\n"
                ).encode()
            )
            parts.append(self.attachment_b64(index))
        parts.append(f"\r\n--{mixed}--\r\n".encode())
        return b"".join(parts)

    def eml_path(self, mailbox: int, folder: str) -> Path:
        directory = Path("mail", self.users[mailbox], folder)
        if directory not in self.next_eml:  # day 1 continues after the highest existing number
            existing = [int(p.stem) for p in (self.root / directory).glob("*.eml")]
            self.next_eml[directory] = max(existing, default=0) + 1
        n = self.next_eml[directory]
        self.next_eml[directory] = n + 1
        return directory / f"{n}.eml"

    def new_message(self, index: int, summary: Summary, start: datetime) -> None:
        mailbox = self.rng.randrange(len(self.users))
        folder = self.rng.choice(MAIL_FOLDERS if self.day == 0 else MAIL_FOLDERS[:3])
        when = start + timedelta(minutes=index * 7 + self.rng.randrange(7))
        data = self.message(mailbox, when)
        self.write(self.eml_path(mailbox, folder), data)
        summary.files["mail"] += 1
        summary.bytes["mail"] += len(data)

    # --- documents

    def new_document(self, area: str, owner: str, summary: Summary, kind: str = "") -> Path:
        rng = self.rng
        kind = kind or rng.choices(DOC_KINDS, DOC_WEIGHTS)[0]
        low, high, power = DOC_SIZES[kind]
        size = min(skewed(rng, low, high, power), max(low, self.budget // 20))
        base = Path("onedrive", owner, "Documents")
        if area == "sharepoint":
            base = Path("sharepoint", owner, "Shared Documents")
        name = f"{rng.choice(TOPICS)} {rng.randrange(100_000):05d}.{kind}"
        relative = base / rng.choice(SUBFOLDERS) / name
        data = document(self.text, random.Random(f"{self.seed}:{self.day}:{relative}"), size, kind)
        self.write(relative, data)
        summary.files[area] += 1
        summary.bytes[area] += len(data)
        return relative

    def new_media(self, summary: Summary, limit: int) -> None:
        rng = self.rng
        user = rng.choice(self.users)
        if rng.random() < 0.85:
            kind, size = "jpg", skewed(rng, 500 * KIB, 8 * MIB, 1.0)
            relative = Path("media", user, "Pictures", f"IMG_{rng.randrange(10**6):06d}.jpg")
        else:
            kind, size = "mp4", skewed(rng, 5 * MIB, 60 * MIB, 1.0)
            relative = Path("media", user, "Videos", f"VID_{rng.randrange(10**6):06d}.mp4")
        size = max(64 * KIB, min(size, limit))
        data = media(random.Random(f"{self.seed}:{self.day}:{relative}"), size, kind)
        self.write(relative, data)
        summary.files["media"] += 1
        summary.bytes["media"] += len(data)

    # --- day 0

    def day0(self) -> Summary:
        summary = Summary()
        budget = {area: int(self.budget * share) for area, share in SHARES.items()}
        rng = self.rng
        messages = 0
        while summary.bytes["mail"] < budget["mail"]:
            self.new_message(messages, summary, EPOCH - timedelta(days=180))
            messages += 1
        onedrive: list[Path] = []
        while summary.bytes["onedrive"] < budget["onedrive"]:
            onedrive.append(self.new_document("onedrive", rng.choice(self.users), summary))
        while summary.bytes["sharepoint"] < budget["sharepoint"]:
            site = rng.choice(self.sites)
            if rng.random() < 0.10 and onedrive:  # the same file uploaded to both
                source = rng.choice(onedrive)
                target = Path("sharepoint", site, "Shared Documents", rng.choice(SUBFOLDERS))
                (self.root / target).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.root / source, self.root / target / source.name)
                summary.files["sharepoint"] += 1
                summary.bytes["sharepoint"] += (self.root / source).stat().st_size
            else:
                self.new_document("sharepoint", site, summary)
        while summary.bytes["media"] < budget["media"]:
            self.new_media(summary, budget["media"] - summary.bytes["media"])
        recordings = 1 if budget["teams"] < 100 * 1_000_000 else 2
        size = min(150 * 1_000_000, budget["teams"] // recordings)
        for i in range(recordings):
            when = EPOCH - timedelta(days=30 - 9 * i)
            relative = Path("teams", "recordings", f"Meeting Recording {when:%Y-%m-%d}.mp4")
            self.write(relative, media(random.Random(f"{self.seed}:recording:{i}"), size, "mp4"))
            summary.files["teams"] += 1
            summary.bytes["teams"] += size
        return summary

    # --- day 1

    def day1(self) -> Summary:
        rng = self.rng
        files = sorted(p.relative_to(self.root) for p in walk(self.root))
        if not files:
            raise ValueError(f"{self.root} holds no day-0 corpus: generate day 0 first")
        changes = {"new messages": 0, "edited": 0, "deleted": 0, "new files": 0}
        summary = Summary(changes=changes)
        mail = [p for p in files if p.parts[0] == "mail"]
        for i in range(max(1, round(0.02 * len(mail)))):
            self.new_message(i, summary, EPOCH + timedelta(hours=1))
            changes["new messages"] += 1
        documents = [p for p in files if p.parts[0] in ("onedrive", "sharepoint")]
        edited = rng.sample(documents, max(1, round(0.03 * len(documents))))
        for relative in edited:
            self.edit(relative)
            changes["edited"] += 1
        keep = {*edited, *(p for p in files if p.parts[0] == "teams")}
        candidates = [p for p in files if p not in keep]
        for relative in rng.sample(candidates, max(1, round(0.01 * len(files)))):
            (self.root / relative).unlink()
            changes["deleted"] += 1
        for _ in range(2 + len(files) // 1000):
            self.new_document("onedrive", rng.choice(self.users), summary)
            changes["new files"] += 1
        self.new_media(summary, max(256 * KIB, min(8 * MIB, self.budget // 128)))
        changes["new files"] += 1
        return summary

    def edit(self, relative: Path) -> None:
        """Insert or replace a few KB in the middle of the file, as an editor save would."""
        rng = self.rng
        path = self.root / relative
        data = path.read_bytes()
        at = int(len(data) * rng.uniform(0.3, 0.7))
        n = rng.randint(2, 16) * KIB
        if relative.suffix in (".csv", ".txt"):
            new = self.text.draw(rng, n)
        else:
            new = random_bytes(rng, n)
        cut = n if rng.random() < 0.5 else 0  # replace or insert
        path.write_bytes(data[:at] + new + data[at + cut :])
        self.written += len(new)


def walk(root: Path) -> Iterator[Path]:
    for directory, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            yield Path(directory, name)


def tree_summary(root: Path) -> Summary:
    """Files and bytes by category of the tree as it is now."""
    summary = Summary()
    for path in walk(root):
        category = path.relative_to(root).parts[0]
        summary.files[category] = summary.files.get(category, 0) + 1
        summary.bytes[category] = summary.bytes.get(category, 0) + path.stat().st_size
    return summary


def generate(root: Path, *, size_mb: int = 1024, seed: int = 1, day: int = 0) -> Summary:
    """Write day 0 into ``root`` (which must be empty or absent), or apply day 1 in place.

    Day 1 needs the ``size_mb`` and ``seed`` that made day 0. Returns the whole tree's files and
    bytes by category afterwards, and for day 1 what changed.
    """
    if size_mb < 1:
        raise ValueError("size_mb must be at least 1")
    if day not in (0, 1):
        raise ValueError("day must be 0 (a new tree) or 1 (a day of changes on day 0)")
    if day == 0 and root.exists() and any(root.iterdir()):
        raise ValueError(f"{root} is not empty: day 0 writes a new tree")
    started = time.perf_counter()
    corpus = Corpus(root, size_mb, seed, day)
    step = corpus.day0() if day == 0 else corpus.day1()
    summary = tree_summary(root)
    summary.changes = step.changes
    summary.seconds = time.perf_counter() - started
    summary.changes["bytes written"] = corpus.written
    return summary


def changes_text(changes: dict[str, int]) -> str:
    return ", ".join(
        f"{k.replace('bytes', 'MiB')} {v / MIB:.1f}" if "bytes" in k else f"{k} {v}"
        for k, v in changes.items()
    )


def print_summary(summary: Summary, day: int, out: Callable[[str], None] = print) -> None:
    total = summary.total_bytes
    out(f"{'category':<12}{'files':>8}{'MiB':>10}{'share':>8}")
    for category in summary.files:
        n, size = summary.files[category], summary.bytes[category]
        out(f"{category:<12}{n:>8}{size / MIB:>10.1f}{size / max(1, total):>8.0%}")
    out(f"{'total':<12}{summary.total_files:>8}{total / MIB:>10.1f}")
    if day:
        out("day-1 changes: " + changes_text(summary.changes))
    rate = summary.changes["bytes written"] / MIB / max(summary.seconds, 1e-9)
    out(f"generated in {summary.seconds:.1f} s ({rate:.0f} MiB/s written)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the folder to write (day 0) or change (day 1)")
    parser.add_argument("--size-mb", type=int, default=1024, help="corpus size in MiB (1024)")
    parser.add_argument("--seed", type=int, default=1, help="seed (1)")
    parser.add_argument("--day", type=int, default=0, choices=(0, 1), help="0 new, 1 changes")
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out, size_mb=args.size_mb, seed=args.seed, day=args.day)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_summary(summary, args.day)
    return 0


if __name__ == "__main__":
    sys.exit(main())
