"""Read a YAML file and remember where every value stands, for errors with line numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    data: Any
    lines: dict[Path_, int]  # path of keys/indexes -> 1-based line of that value

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class YamlError(ValueError):
    """Not valid YAML; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _convert(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], scalars: yaml.SafeLoader
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key, str):
                raise YamlError("mapping keys must be strings", key_node.start_mark.line + 1)
            if key in out:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            out[key] = _convert(value_node, (*path, key), lines, scalars)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, scalars) for i, item in enumerate(node.value)]
    # Scalars: let the safe constructor decide the type (int, bool, date, str, null).
    return scalars.construct_object(node, deep=True)


def load_located(text: str) -> LocatedDocument:
    """Parse ``text`` (one YAML document, safe tags only) with line numbers for every value."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(str(exc.problem or exc), mark.line + 1 if mark else None) from None
    lines: dict[Path_, int] = {}
    data = None if node is None else _convert(node, (), lines, yaml.SafeLoader(""))
    return LocatedDocument(data, lines)
