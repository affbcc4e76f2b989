"""The `remit` console script: which app runs a command, and the allocator setting for `repo`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from remit.cli.entry import first_command, one_malloc_arena


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["repo", "init"], "repo"),
        (["-w", "/tmp/ws", "repo", "snapshots"], "repo"),
        (["--workspace", "repo", "tenant", "list"], "tenant"),  # "repo" is the option's value
        (["--version"], None),
        ([], None),
    ],
)
def test_first_command_skips_root_options_and_their_values(
    argv: list[str], command: str | None
) -> None:
    assert first_command(argv) == command


def test_an_operators_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert one_malloc_arena() is False


def test_one_arena_is_asked_for_on_glibc() -> None:
    """Run in a child process: the setting lasts for the whole process."""
    code = "from remit.cli.entry import one_malloc_arena; print(one_malloc_arena())"
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "True"
