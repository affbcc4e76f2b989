"""Control maps as YAML for review in git, and back, losslessly.

:func:`dump_yaml` writes a stable layout: the five sections always in the same order, one entry
per control (sorted by id), RACI names in flow lists, list entries sorted by key with their
fields in a fixed order, dates as ``2026-12-31`` and times as ``2026-11-22T09:30:00Z``.
:func:`load_yaml` reads such a file back (comments are ignored), validates all of it, and
rejects it whole on the first problem by line: ``map.yaml:12: controls.x.status: ...``.
``load_yaml(dump_yaml(doc))`` gives back ``doc`` (in canonical form), so export, import and
export again is byte-identical.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from remit.errors import InvalidInput
from remit.governance.model import (
    ApprovedAccess,
    ControlEntry,
    ControlException,
    ControlMapDoc,
    Raci,
    RecoveryObjective,
    Workload,
)
from remit.governance.paths import RACI_LETTERS, normalize
from remit.governance.validate import KnownIds, Location, problems
from remit.yamlfile import LocatedDocument, YamlError, load_located

# --- writing ------------------------------------------------------------------------------------


class _Flow(list[Any]):
    """A list written in flow style: ``[MSP service desk, Client IT]``."""


class _Dumper(yaml.SafeDumper):
    """Block sequences indented under their key; the representers below are this class's own."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.Node:
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = moment.isoformat().replace("+00:00", "Z")
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Line breaks and control characters go in double quotes, where YAML escapes them: plain or
    # single-quoted scalars fold them (PyYAML writes NEL and U+2028 unescaped, for one).
    special = any(not ch.isprintable() and ch != " " for ch in value)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if special else None)


_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(datetime, _represent_datetime)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _entry(model: BaseModel) -> dict[str, Any]:
    """A list entry's fields in model order, leaving out those that are empty."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None or value == "":
            continue
        out[name] = _plain(value)
    return out


def _control(entry: ControlEntry, *, full: bool) -> dict[str, Any]:
    given = entry.model_fields_set
    out: dict[str, Any] = {}
    raci_given = entry.raci.model_fields_set if "raci" in given else set()
    raci: dict[str, Any] = {}
    for letter in RACI_LETTERS:
        if full or letter in raci_given:
            value = getattr(entry.raci, letter)
            raci[letter] = _Flow(value) if isinstance(value, list) else value
    if raci:
        out["raci"] = raci
    for name in ("status", "evidence"):
        if full or name in given:
            out[name] = _plain(getattr(entry, name))
    return out


def yaml_data(doc: ControlMapDoc, *, full: bool = False) -> dict[str, Any]:
    """The document as plain data in export order (``full``: every control field, for an
    effective map; otherwise what the layer sets)."""
    canonical = normalize(doc)
    return {
        "controls": {
            control_id: _control(entry, full=full)
            for control_id, entry in canonical.controls.items()
        },
        "objectives": {
            Workload(workload).value: _entry(objective)
            for workload, objective in canonical.objectives.items()
        },
        "privileged_access": [_entry(access) for access in canonical.privileged_access],
        "emergency_accounts": list(canonical.emergency_accounts),
        "exceptions": [_entry(exception) for exception in canonical.exceptions],
    }


def dump_yaml(doc: ControlMapDoc, *, full: bool = False, header: str = "") -> str:
    """The YAML text of ``doc``; ``header`` lines are written first as comments."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = yaml.dump(
        yaml_data(doc, full=full),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return comments + body


# --- reading ------------------------------------------------------------------------------------

# The model a mapping at a location stands for, to say which keys it takes.
_MAPPINGS: dict[tuple[str, int], type[BaseModel]] = {
    ("controls", 2): ControlEntry,
    ("objectives", 2): RecoveryObjective,
    ("privileged_access", 2): ApprovedAccess,
    ("exceptions", 2): ControlException,
}


def _model_at(location: Location) -> type[BaseModel] | None:
    if not location:
        return ControlMapDoc
    section = str(location[0])
    if section == "controls" and len(location) == 3 and location[2] == "raci":
        return Raci
    return _MAPPINGS.get((section, len(location)))


def _where(location: Location) -> str:
    return ".".join(str(part) for part in location if part != "[key]")


def _message(error: Mapping[str, Any]) -> tuple[Location, str]:
    location: Location = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(location[:-1])
        allowed = f" (expected {', '.join(parent.model_fields)})" if parent else ""
        return (
            location,
            f"{_where(location[:-1]) or 'top level'}: unknown key {location[-1]!r}{allowed}",
        )
    if kind == "missing":
        return location, f"{_where(location)} is required"
    return location, f"{_where(location)}: {error['msg']}"


def _bad_timestamp(text: str) -> tuple[int, str] | None:
    """The first scalar that YAML reads as a date or time but that is not a real one."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    constructor = yaml.SafeLoader("")
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.MappingNode):
            stack.extend(value for pair in current.value for value in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif current.tag == "tag:yaml.org,2002:timestamp":
            try:
                constructor.construct_object(current, deep=True)
            except ValueError as exc:
                return current.start_mark.line + 1, f"{current.value!r} is not a valid date ({exc})"
    return None


def _locate(text: str, source: str) -> LocatedDocument:
    try:
        return load_located(text)
    except YamlError as exc:
        line = exc.line or 1
        raise InvalidInput(f"{source}:{line}: {exc}") from None
    except ValueError:
        # PyYAML builds dates itself and raises a bare ValueError for 2026-13-01.
        found = _bad_timestamp(text)
        if found is None:
            raise
        raise InvalidInput(f"{source}:{found[0]}: {found[1]}") from None


def _key_lines(text: str) -> dict[Location, int]:
    """The line of every mapping key, by the path of its value (``("controls", "x")``)."""
    lines: dict[Location, int] = {}
    stack: list[tuple[yaml.Node, Location]] = []
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        stack.append((root, ()))
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[(*path, str(key.value))] = key.start_mark.line + 1
                stack.append((value, (*path, str(key.value))))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return lines


def _reject(
    source: str, text: str, doc: LocatedDocument, found: list[tuple[Location, str]]
) -> InvalidInput:
    keys = _key_lines(text)

    def line(location: Location) -> int:
        for end in range(len(location), -1, -1):
            where = tuple(p for p in location[:end] if p != "[key]")
            if where in keys:
                return keys[where]
            known = doc.lines.get(where)
            if known is not None:
                return known
        return 1

    ranked = sorted(found, key=lambda item: line(item[0]))
    location, message = ranked[0]
    rest = len(ranked) - 1
    more = f" (and {rest} more problem{'s' if rest > 1 else ''})" if rest else ""
    return InvalidInput(f"{source}:{line(location)}: {message}{more}")


def load_yaml(text: str, source: str, known: KnownIds | None = None) -> ControlMapDoc:
    """Parse and validate a control-map document; ``source`` names it in errors (a file name).

    Raises :class:`InvalidInput` naming the line of the first problem: YAML syntax, unknown
    keys, bad enum values or dates, unknown control ids, duplicate entries.
    """
    located = _locate(text, source)
    if located.data is None:
        raise InvalidInput(
            f"{source}:1: the file is empty; an empty layer is written `controls: {{}}`"
        )
    if not isinstance(located.data, dict):
        raise InvalidInput(
            f"{source}:{located.line_of(()) or 1}: expected a mapping of sections "
            f"({', '.join(ControlMapDoc.model_fields)})"
        )
    try:
        doc = ControlMapDoc.model_validate(located.data)
    except ValidationError as exc:
        raise _reject(source, text, located, [_message(e) for e in exc.errors()]) from None
    found = [(p.location, p.message) for p in problems(doc, known or KnownIds.of())]
    if found:
        raise _reject(source, text, located, found)
    return normalize(doc)
