"""State shared by the commands of one invocation: which workspace, opened on demand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from remit.workspace import Workspace, default_workspace_path


@dataclass
class CliState:
    workspace_path: Path | None = None

    def path(self) -> Path:
        return self.workspace_path or default_workspace_path()

    def open(self) -> Workspace:
        return Workspace.open(self.path())


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
