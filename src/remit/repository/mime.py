"""Split e-mail messages into pieces that deduplicate, and join them back byte for byte.

The same attachment sent to fifty mailboxes should be stored once, although every copy of the
message has its own headers. ``split_message`` walks the MIME structure of a message (RFC 5322 /
RFC 2045-2046 bytes, as Graph's ``/messages/{id}/$value`` and Outlook ``.eml`` exports give them)
with a byte-level scanner and turns each large base64 body into a ``Base64Body`` holding the
decoded bytes; everything else stays ``Raw``. A body becomes a ``Base64Body`` only if re-encoding
the decoded bytes with the detected layout (line length, line end, trailing line end) gives back
exactly the bytes it came from, so ``b"".join(join_pieces(split_message(x))) == x`` for every
input, well formed or not. Malformed input is never an error: it simply stays ``Raw``.

Nothing here uses ``email.parser``: it does not preserve bytes, and a scanner over boundaries with
``bytes.find`` is faster. Base64 work is done over whole bodies, never per line, by pybase64
(SIMD, ~30x the standard library's ``binascii``).
"""

from __future__ import annotations

import binascii
import functools
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pybase64

from remit.errors import RepositoryError

__all__ = [
    "Base64Body",
    "Piece",
    "Raw",
    "encode_base64_body",
    "join_pieces",
    "looks_like_message",
    "split_message",
]

MAX_DEPTH = 32  # nesting (multipart inside multipart, attached messages) followed before giving up
_BLOCK_LINES = 1024  # 4x this many lines are encoded per block when streaming a body back
_TRAILING_WS_SCAN = 1024  # blank lines after a base64 body looked at before keeping it raw
_SNIFF_BYTES = 16384  # bytes of a file looked at by looks_like_message


@dataclass(frozen=True, slots=True)
class Raw:
    """Bytes stored as they are."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Base64Body:
    """A base64 body stored decoded, with the layout that re-encodes it exactly.

    ``line_length`` is the number of characters per full line (76 for most mailers), or 0 for a
    body written as one line; ``eol`` separates lines; ``final_eol`` says whether the encoded
    text ends with ``eol``.
    """

    decoded: bytes
    line_length: int
    eol: bytes
    final_eol: bool

    def __post_init__(self) -> None:
        if self.eol not in (b"\r\n", b"\n") or self.line_length < 0:
            raise RepositoryError(
                f"Cannot rebuild a mail attachment: its stored layout is invalid "
                f"(line_length={self.line_length!r}, eol={self.eol!r}); the repository object "
                f"is malformed, run a repository check."
            )


Piece = Raw | Base64Body


@dataclass(frozen=True, slots=True)
class Base64Text:
    """A base64 body found but not decoded yet (``split_message(..., decode=False)``): the
    caller may recognise the text (the same attachment in another message) before paying for
    ``decode_body``."""

    text: bytes


def decode_body(text: bytes) -> Base64Body | None:
    """The ``Base64Body`` that re-encodes to exactly ``text``, or None (keep it raw)."""
    return _decode_exact(text, 0, len(text))


def split_message(data: bytes, *, min_body: int = 2048) -> list[Piece]:
    """Split a message into pieces; base64 bodies of at least ``min_body`` bytes are decoded.

    Joining the pieces always gives back ``data``. Adjacent raw bytes form one ``Raw`` piece and
    no ``Raw`` piece is empty, so ``b""`` splits into ``[]`` and a message without a usable base64
    body into ``[Raw(data)]``.
    """
    out: list[Piece] = []
    for piece in split_message_lazily(data, min_body=min_body):
        if isinstance(piece, Base64Text):
            body = decode_body(piece.text)
            if body is None:
                if out and isinstance(out[-1], Raw):
                    out[-1] = Raw(out[-1].data + piece.text)
                else:
                    out.append(Raw(piece.text))
                continue
            out.append(body)
        elif out and isinstance(out[-1], Raw):
            out[-1] = Raw(out[-1].data + piece.data)
        else:
            out.append(piece)
    return out


def split_message_lazily(data: bytes, *, min_body: int = 2048) -> list[Raw | Base64Text]:
    """Like ``split_message`` but base64 bodies come undecoded, as ``Base64Text``: decode each
    with ``decode_body`` (which may refuse it: then its text is raw bytes of the message)."""
    if not data:
        return []
    scanner = _Scanner(data, max(min_body, 1))
    scanner.entity(0, len(data), 0, digest=False)
    pieces: list[Raw | Base64Text] = []
    previous = 0
    for start, end in scanner.bodies:
        if start > previous:
            pieces.append(Raw(data[previous:start]))
        pieces.append(Base64Text(data[start:end]))
        previous = end
    if previous < len(data):
        pieces.append(Raw(data[previous:]))
    return pieces


def join_pieces(pieces: Iterable[Piece]) -> Iterator[bytes]:
    """Stream the bytes of a message back from its pieces (large bodies in blocks)."""
    for piece in pieces:
        if isinstance(piece, Raw):
            if piece.data:
                yield piece.data
        else:
            yield from _encode_blocks(piece)


def encode_base64_body(body: Base64Body) -> bytes:
    """The encoded text of a ``Base64Body``, exactly as it stood in the message."""
    return b"".join(_encode_blocks(body))


def looks_like_message(head: bytes) -> bool:
    """Whether ``head`` (the first few KiB of a file) starts like a MIME message.

    True when the file opens with header lines (``Name: value``, continuation lines allowed) and
    they include ``MIME-Version`` or ``Content-Type`` before the blank line or the end of ``head``.
    """
    lines = head[:_SNIFF_BYTES].split(b"\n")
    complete = len(lines) - 1  # the last element has no line end: possibly cut off
    found = False
    for index, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            return found  # a blank line (or the end of head) ends the headers
        if b"\x00" in line:
            return False
        if line[:1] in (b" ", b"\t"):
            if index == 0:
                return False
            continue
        match = _FIELD_NAME.match(line)
        if match is None:
            # A cut-off last line may still be a field name without its colon yet.
            return found and index == complete and _FIELD_CHARS.fullmatch(line) is not None
        if match.group(1).lower() in (b"mime-version", b"content-type"):
            found = True
    return found


# --- encoding -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _full_block_splitter(length: int, count: int) -> struct.Struct:
    return struct.Struct(f"{length}s" * count)


def _line_splitter(length: int, count: int) -> struct.Struct:
    """Splits ``count`` lines of ``length`` in C. Only full blocks' splitters are kept: a
    body's last block has a count of its own, and each cached splitter holds ~100 KiB."""
    if count == 4 * _BLOCK_LINES:
        return _full_block_splitter(length, count)
    return struct.Struct(f"{length}s" * count)


def _encode_blocks(body: Base64Body) -> Iterator[bytes]:
    """Yield the encoded text of ``body`` in blocks of whole lines."""
    decoded, length, eol = body.decoded, body.line_length, body.eol
    if not decoded:
        if body.final_eol:
            yield eol
        return
    if length == 0:
        yield pybase64.b64encode(decoded)
        if body.final_eol:
            yield eol
        return
    view = memoryview(decoded)
    step = 3 * length * _BLOCK_LINES  # decodes to 4 * _BLOCK_LINES full lines
    for offset in range(0, len(decoded), step):
        text = pybase64.b64encode(view[offset : offset + step])
        full, rest = divmod(len(text), length)
        lines = list(_line_splitter(length, full).unpack_from(text))  # in C, not a Python loop
        if rest:
            lines.append(text[full * length :])
        if body.final_eol or offset + step < len(decoded):
            lines.append(b"")  # join() then ends the block with eol
        yield eol.join(lines)


# --- scanning -------------------------------------------------------------------------------

_FIELD_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")
_FIELD_CHARS = re.compile(rb"[!-9;-~]+")
_CONTENT_TYPE = re.compile(
    rb"^content-type[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.IGNORECASE | re.MULTILINE
)
_TRANSFER_ENCODING = re.compile(
    rb"^content-transfer-encoding[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_FOLD = re.compile(rb"\r?\n")
_MIME_NAME = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE = re.compile(rf"\s*({_MIME_NAME})\s*/\s*({_MIME_NAME})")
_BOUNDARY = re.compile(
    r';\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s"]+))', re.IGNORECASE | re.DOTALL
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_DELIMITER_TAIL = re.compile(rb"(--)?[ \t]*(?:\r?\n|\Z)")
_WHITESPACE = b" \t\r\n"


def _header(block: bytes, pattern: re.Pattern[bytes]) -> str | None:
    """The unfolded value of the first header matching ``pattern`` in a header block."""
    match = pattern.search(block)
    if match is None:
        return None
    return _FOLD.sub(b"", match.group(1)).decode("latin-1").strip()


def _boundary(content_type: str) -> bytes | None:
    match = _BOUNDARY.search(content_type)
    if match is None:
        return None
    quoted, plain = match.group(1), match.group(2)
    value = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else plain
    return value.encode("latin-1") if value else None


class _Scanner:
    """Walks one message and records the base64 bodies that re-encode exactly."""

    def __init__(self, data: bytes, min_body: int) -> None:
        self.data = data
        self.min_body = min_body
        self.bodies: list[tuple[int, int]] = []  # candidate bodies, in order, never overlapping

    def entity(self, start: int, end: int, depth: int, *, digest: bool) -> None:
        """Scan the MIME entity (headers, blank line, body) in ``data[start:end]``."""
        if start >= end or depth > MAX_DEPTH:
            return
        split = self._header_end(start, end)
        if split is None:
            return
        header_end, body_start = split
        block = self.data[start:header_end]
        content_type = _header(block, _CONTENT_TYPE)
        media = _MEDIA_TYPE.match(content_type) if content_type else None
        if media is not None:
            maintype, subtype = media.group(1).lower(), media.group(2).lower()
        else:
            maintype, subtype = ("message", "rfc822") if digest else ("text", "plain")
        if maintype == "multipart" and content_type is not None:
            boundary = _boundary(content_type)
            if boundary is not None:
                self.multipart(body_start, end, boundary, depth, digest=subtype == "digest")
                return
        encoding = _header(block, _TRANSFER_ENCODING)
        if encoding is not None and encoding.lower() == "base64":
            self.base64(body_start, end)
        elif maintype == "message" and subtype in ("rfc822", "global"):
            self.entity(body_start, end, depth + 1, digest=False)

    def _header_end(self, start: int, end: int) -> tuple[int, int] | None:
        """(end of the header block, start of the body), or None when no blank line follows."""
        data = self.data
        if data.startswith(b"\n", start, end):
            return start, start + 1
        if data.startswith(b"\r\n", start, end):
            return start, start + 2
        # Look for the blank line in the style of the first line end first, so that a part
        # with a large body is not searched to its end for the other style.
        first = data.find(b"\n", start, end)
        crlf_first = first > start and data[first - 1] == 0x0D
        patterns = (b"\n\r\n", b"\n\n") if crlf_first else (b"\n\n", b"\n\r\n")
        best: tuple[int, int] | None = None
        limit = end
        for pattern in patterns:
            found = data.find(pattern, start, limit)
            if found >= 0:
                best = (found + 1, found + len(pattern))
                limit = found + len(pattern) - 1
        return best

    def multipart(self, start: int, end: int, boundary: bytes, depth: int, *, digest: bool) -> None:
        """Scan the parts of a multipart body; preamble, delimiters and epilogue stay raw."""
        delimiter = b"--" + boundary
        found = self._delimiter(start, end, delimiter)
        if found is None:
            return
        _, part_start, closed = found
        while not closed:
            found = self._delimiter(part_start, end, delimiter)
            if found is None:  # never closed: the last part runs to the end
                self.entity(part_start, end, depth + 1, digest=digest)
                return
            line_start, next_start, closed = found
            self.entity(part_start, line_start, depth + 1, digest=digest)
            part_start = next_start

    def _delimiter(self, pos: int, end: int, delimiter: bytes) -> tuple[int, int, bool] | None:
        """The next delimiter line at or after ``pos``: (its start, after its eol, is_close)."""
        data = self.data
        needle = b"\n" + delimiter
        at_line_start = pos == 0 or data[pos - 1] == 0x0A
        candidate = pos if at_line_start and data.startswith(delimiter, pos, end) else -1
        while True:
            if candidate < 0:
                found = data.find(needle, pos, end)
                if found < 0:
                    return None
                candidate = found + 1
            tail = _DELIMITER_TAIL.match(data, candidate + len(delimiter), end)
            if tail is not None:
                return candidate, tail.end(), tail.group(1) is not None
            pos, candidate = candidate, -1

    def base64(self, start: int, end: int) -> None:
        """Record ``data[start:end]`` (less trailing blank lines) as a candidate body."""
        data = self.data
        if end - start < self.min_body:
            return
        tail = data[max(start, end - _TRAILING_WS_SCAN) : end]
        kept = len(tail.rstrip(_WHITESPACE))
        if kept == 0:
            return  # all whitespace, or more trailing whitespace than we look at
        stop = end - (len(tail) - kept)
        if data.startswith(b"\r\n", stop, end):
            stop += 2
        elif data.startswith(b"\n", stop, end):
            stop += 1
        if stop - start < self.min_body:
            return
        self.bodies.append((start, stop))


def _decode_exact(data: bytes, start: int, stop: int) -> Base64Body | None:
    """The ``Base64Body`` whose encoding is exactly ``data[start:stop]``, or None if none is.

    The layout is read from the first line. The checks below prove the text equals the layout
    applied to ``b2a_base64(decoded)``: the line feeds are exactly at the expected places (their
    count matches and each expected place holds ``eol``), and deleting CR and LF from the text
    leaves exactly the re-encoded characters (a stray CR would make it shorter).
    """
    size = stop - start
    first = data.find(b"\n", start, stop) - start
    if first < 0:
        eol, length, final_eol = b"\r\n", 0, False
    else:
        eol = b"\r\n" if first > 0 and data[start + first - 1] == 0x0D else b"\n"
        final_eol = data.endswith(eol, start, stop)
        length = 0 if first + 1 == size else first + 1 - len(eol)
    feeds = data.count(b"\n", start, stop)
    between = feeds - final_eol  # line ends between lines
    chars = size - feeds * len(eol)
    if chars <= 0:
        return None
    if length == 0:
        if between != 0:
            return None
    else:
        if between != -(-chars // length) - 1:
            return None
        width = length + len(eol)
        view = memoryview(data)
        for offset, char in enumerate(eol):
            at = start + length + offset
            if view[at : at + between * width : width].tobytes() != bytes((char,)) * between:
                return None
    stripped = data[start:stop].translate(None, b"\r\n")
    if len(stripped) != chars:
        return None  # a CR inside a line
    try:
        decoded = pybase64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return None
    if pybase64.b64encode(decoded) != stripped:
        return None  # e.g. non-zero bits after the last character
    return Base64Body(decoded, length, eol, final_eol)
