"""Content-defined chunking (FastCDC 2020) keyed by the repository's chunker seed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import pyfastcdc

from remit.repository.config import RepoConfig

_BLOCK = 4 * 1024 * 1024  # read size: a few chunks; a cut at a block's end carries over


class Chunker:
    def __init__(self, config: RepoConfig, seed: int) -> None:
        self._cdc = pyfastcdc.FastCDC(
            config.chunk_avg,
            min_size=config.chunk_min,
            max_size=config.chunk_max,
            seed=seed,
        )
        self.min_size = config.chunk_min

    def split_bytes(self, data: bytes) -> Iterator[bytes]:
        if len(data) <= self.min_size:
            yield data
            return
        for chunk in self._cdc.cut_buf(data):
            yield bytes(chunk.data)

    def split_stream(self, stream: BinaryIO, size: int | None = None) -> Iterator[memoryview]:
        """Chunks of a file read as it goes, in blocks of ``_BLOCK`` bytes: memory stays at a
        few blocks whatever the size. Each block is read into a buffer that begins with the
        carried-over tail of the previous one (one allocation, no concatenation). Chunks are
        views into the buffer (no copy); a view keeps its buffer alive while it is used.
        ``size``, the file's size if known, keeps buffers no larger than what is left to read."""
        carry: memoryview | bytes = b""
        consumed = 0
        while True:
            # One byte past the expected end, so the read that ends the file shows it.
            want = _BLOCK if size is None else max(1, min(_BLOCK, size - consumed + 1))
            buffer = bytearray(len(carry) + want)
            buffer[: len(carry)] = carry
            got = _read_into(stream, memoryview(buffer)[len(carry) :])
            consumed += got
            filled = len(carry) + got
            data = memoryview(buffer)[:filled]
            if filled < len(buffer):  # the end of the file
                if filled:
                    yield from (c.data for c in self._cdc.cut_buf(data))
                return
            chunks = list(self._cdc.cut_buf(data))
            for chunk in chunks[:-1]:  # the last one may continue in the next block
                yield chunk.data
            carry = chunks[-1].data


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``stream``; fewer bytes only at the end of the file."""
    done = 0
    while done < len(view):
        got = stream.readinto(view[done:])  # type: ignore[attr-defined]
        if not got:
            break
        done += got
    return done
