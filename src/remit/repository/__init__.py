"""The backup repository: an encrypted, deduplicating, crash-safe store of point-in-time snapshots.

The on-disk format is documented in ``docs/internals/repository.md``. This package depends only
on ``remit.domain`` and ``remit.errors``; storage is reached through the small ``Store`` protocol
(``remit.repository.stores``), with a local-filesystem and an S3 implementation.
"""
