"""The `remit` console script.

`remit repo …` runs from a slim app that imports only the repository (no database, web or
Graph modules), so scripted backups and restores start in a fraction of the time; every other
command runs from the full app in ``remit.cli.main``.
"""

from __future__ import annotations

import sys

_ROOT_OPTIONS_WITH_VALUE = {"-w", "--workspace"}


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


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if first_command(args) == "repo":
        from remit.cli.repo_main import app
        from remit.cli.run import run

        run(app, args)
    else:
        from remit.cli.main import main as full_main

        full_main(args)
