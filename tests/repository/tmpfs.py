"""A real small filesystem for full-disk tests: a tmpfs, mounted when we may (root)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NOT_ALLOWED = ("permission denied", "operation not permitted", "must be superuser", "only root")


@contextmanager
def small_tmpfs(mountpoint: Path, size: int) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` bytes at ``mountpoint`` and unmount it afterwards.

    Yields False (nothing mounted) only when this process may not mount; any other mount
    failure fails the test, so a broken set-up is never mistaken for a missing privilege.
    """
    mountpoint.mkdir(parents=True, exist_ok=True)
    mounted = False
    if os.geteuid() == 0:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mountpoint)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode and not any(s in proc.stderr.lower() for s in NOT_ALLOWED):
            pytest.fail(f"mount -t tmpfs failed: {proc.stderr.strip()}")
        mounted = proc.returncode == 0
    if not mounted:
        yield False
        return
    try:
        assert os.path.ismount(mountpoint)
        yield True
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True, capture_output=True)
