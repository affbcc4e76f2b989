"""The reference docs cover every command, option, setting and exit code (docs drift is a bug)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from remit.cli.main import app
from remit.config import Settings
from remit.errors import ExitCode

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _leaf_commands() -> Iterator[tuple[str, Any]]:
    # Typer vendors its own Click, so commands are recognised by shape, not by class.
    def walk(prefix: str, command: Any) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(f"{prefix} {name}".strip(), sub)
        else:
            yield prefix, command

    yield from walk("", typer.main.get_command(app))


def _sections(text: str) -> dict[str, str]:
    """`## \\`remit x y ...\\`` headings → the text up to the next heading."""
    parts = re.split(r"^## `remit ([a-z -]+?)(?: [A-Z\[].*)?`\s*$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


# The CLI reference: cli.md, plus one cli-<area>.md page per larger command group.
CLI_SECTIONS = {
    path: text
    for page in sorted((DOCS / "reference").glob("cli*.md"))
    for path, text in _sections(page.read_text(encoding="utf-8")).items()
}
LEAVES = sorted(_leaf_commands(), key=lambda item: item[0])


def test_every_command_has_a_section() -> None:
    missing = [path for path, _ in LEAVES if path not in CLI_SECTIONS]
    assert not missing, f"docs/reference/cli*.md lack sections for: {missing}"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[p for p, _ in LEAVES])
def test_every_option_is_documented_in_its_section(path: str, command: Any) -> None:
    section = CLI_SECTIONS.get(path, "")
    undocumented = [
        flag
        for param in command.params
        if param.param_type_name == "option"
        for flag in param.opts
        if flag.startswith("--") and flag != "--help" and f"`{flag}" not in section
    ]
    assert not undocumented, f"`remit {path}`: {undocumented} not in docs/reference/cli*.md"


def _settings(model: type[Settings]) -> Iterator[str]:
    for section, field in model.model_fields.items():
        annotation = field.annotation
        assert isinstance(annotation, type)
        for name in annotation.model_fields:  # type: ignore[attr-defined]
            yield f"{section}.{name}"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "reference" / "config.md").read_text(encoding="utf-8")
    missing = [key for key in _settings(Settings) if f"`{key.split('.')[1]}`" not in text]
    assert not missing, f"docs/reference/config.md lacks: {missing}"


def test_every_exit_code_is_documented() -> None:
    text = (DOCS / "reference" / "exit-codes.md").read_text(encoding="utf-8")
    missing = [code.name for code in ExitCode if f"| {code.value} | `{code.name}` |" not in text]
    assert not missing, f"docs/reference/exit-codes.md lacks: {missing}"


def test_relative_links_in_docs_resolve() -> None:
    broken = []
    for page in [*DOCS.rglob("*.md"), DOCS.parent / "README.md"]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(DOCS.parent)} -> {target}")
    assert not broken, broken
