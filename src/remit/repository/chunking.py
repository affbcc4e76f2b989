"""Content-defined chunking (FastCDC 2020) keyed by the repository's chunker seed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import pyfastcdc

from remit.repository.config import RepoConfig


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

    def split_stream(self, stream: BinaryIO) -> Iterator[bytes]:
        """Chunks of a file read as it goes: memory stays at a few chunks whatever the size."""
        for chunk in self._cdc.cut_stream(stream):
            yield bytes(chunk.data)
