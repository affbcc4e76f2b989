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

    def split_stream(self, stream: BinaryIO) -> Iterator[memoryview]:
        """Chunks of a file read as it goes, in blocks of ``_BLOCK`` bytes: memory stays at a
        few blocks whatever the size. Chunks are views into the block (no copy); a view keeps
        its block alive for as long as it is used."""
        carry = b""
        while True:
            block = stream.read(_BLOCK)
            data = carry + block if carry else block
            if not block:
                if data:
                    yield from (c.data for c in self._cdc.cut_buf(data))
                return
            chunks = list(self._cdc.cut_buf(data))
            for chunk in chunks[:-1]:  # the last one may continue in the next block
                yield chunk.data
            last = chunks[-1]
            carry = bytes(last.data)
