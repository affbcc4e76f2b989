"""The `remit` console script.

`remit repo …` runs from a slim app that imports only the repository (no database, web or
Graph modules), so scripted backups and restores start in a fraction of the time; every other
command runs from the full app in ``remit.cli.main``.
"""

from __future__ import annotations

import ctypes
import os
import sys

_ROOT_OPTIONS_WITH_VALUE = {"-w", "--workspace"}
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def first_command(args: list[str]) -> str | None:
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def one_malloc_arena() -> bool:
    """Ask glibc's allocator to keep one arena for all threads (``MALLOC_ARENA_MAX=1``).

    A backup's reader and encoder threads pass multi-MiB buffers between them; with an arena
    per thread each arena keeps its own high-water mark, so a long backup peaked higher than a
    short one. With one arena the peaks are lower and closer, at the same speed (measured in
    docs/benchmarks.md). Only threads started after this call are affected; on a C library
    without ``mallopt`` nothing changes. True when the setting took effect.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False  # the operator chose
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError):
        return False


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if first_command(args) == "repo":
        one_malloc_arena()
        from remit.cli.repo_main import app
        from remit.cli.run import run

        run(app, args)
    else:
        from remit.cli.main import main as full_main

        full_main(args)
