"""OData system query options as Graph reads them: parsing and applying ``$select``/``$expand``.

:func:`parse_query` validates ``$select``, ``$filter``, ``$top``, ``$count``, ``$expand``,
``$orderby`` and ``$search`` (names with or without the ``$``) and raises
:class:`~remit.emulator.responses.GraphError` with Graph's codes and wording.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from remit.emulator.filter import Filter, FilterSyntaxError, parse_filter
from remit.emulator.responses import GraphError, bad_request
from remit.emulator.schema import (
    KNOWN_PROPERTIES,
    NAVIGATION,
    NESTED_NAVIGATION,
    REFERENCE_COLLECTIONS,
    TYPE_NAMES,
)

# Resolves a reference ("principal", "<id>") to the referenced object, or None.
Resolver = Callable[[str, str], dict[str, Any] | None]


@dataclass(frozen=True)
class Expand:
    name: str
    select: tuple[str, ...] | None = None
    expand: Mapping[str, Expand] = field(default_factory=dict)


@dataclass
class QueryOptions:
    select: tuple[str, ...] | None = None
    filter: Filter | None = None
    top: int | None = None
    count: bool = False
    expand: dict[str, Expand] = field(default_factory=dict)
    orderby: tuple[tuple[str, bool], ...] = ()
    search: str | None = None
    skiptoken: str | None = None
    deltatoken: str | None = None

    @property
    def canonical(self) -> dict[str, Any]:
        """What a nextLink must carry to serve the next page of the same query."""
        return {
            "select": list(self.select) if self.select is not None else None,
            "filter": self.filter.text if self.filter is not None else None,
            "top": self.top,
            "count": self.count,
            "expand": _expand_text(self.expand),
            "orderby": ",".join(f"{p} {'desc' if d else 'asc'}" for p, d in self.orderby),
            "search": self.search,
        }


def _expand_text(expand: Mapping[str, Expand]) -> str:
    parts = []
    for item in expand.values():
        inner = []
        if item.select is not None:
            inner.append("$select=" + ",".join(item.select))
        if item.expand:
            inner.append("$expand=" + _expand_text(item.expand))
        parts.append(item.name + (f"({';'.join(inner)})" if inner else ""))
    return ",".join(parts)


def normalise_params(params: Mapping[str, str]) -> dict[str, str]:
    """Map ``$select``/``select`` (any case) to ``select``; other parameters keep their names."""
    out: dict[str, str] = {}
    for key, value in params.items():
        lowered = key.lower()
        out[lowered[1:] if lowered.startswith("$") else lowered] = value
    return out


def _split_top_level(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if depth != 0:
        raise bad_request(f"Invalid expand or select clause: unbalanced parentheses in '{text}'.")
    return [p.strip() for p in parts if p.strip()]


def parse_select(text: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        raise bad_request("Invalid $select: the list of properties is empty.")
    return names


def parse_expand(text: str) -> dict[str, Expand]:
    result: dict[str, Expand] = {}
    for part in _split_top_level(text, ","):
        name, _, rest = part.partition("(")
        name = name.strip()
        select: tuple[str, ...] | None = None
        nested: dict[str, Expand] = {}
        if rest:
            inner = rest[:-1] if rest.endswith(")") else rest
            for option in _split_top_level(inner, ";"):
                key, _, value = option.partition("=")
                key = key.strip().lower().lstrip("$")
                if key == "select":
                    select = parse_select(value)
                elif key == "expand":
                    nested = parse_expand(value)
        result[name] = Expand(name=name, select=select, expand=nested)
    return result


def _parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    out = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad_request(f"Invalid $orderby clause: '{text}'.")
        out.append((words[0], len(words) == 2 and words[1] == "desc"))
    return tuple(out)


def parse_query(params: Mapping[str, str]) -> QueryOptions:
    p = normalise_params(params)
    options = QueryOptions(skiptoken=p.get("skiptoken"), deltatoken=p.get("deltatoken"))
    if "select" in p:
        options.select = parse_select(p["select"])
    if "filter" in p:
        try:
            options.filter = parse_filter(p["filter"])
        except FilterSyntaxError as exc:
            raise GraphError(400, exc.code, str(exc)) from None
    if "top" in p:
        try:
            options.top = int(p["top"])
        except ValueError:
            raise bad_request(
                f"Invalid value '{p['top']}' for query option $top: it must be an integer."
            ) from None
    if "count" in p:
        value = p["count"].lower()
        if value not in ("true", "false"):
            raise bad_request(f"'{p['count']}' is not a valid count option.")
        options.count = value == "true"
    if "expand" in p:
        options.expand = parse_expand(p["expand"])
    if "orderby" in p:
        options.orderby = _parse_orderby(p["orderby"])
    if "search" in p:
        options.search = p["search"]
    return options


def check_properties(collection: str, names: set[str] | tuple[str, ...]) -> None:
    """Refuse property names the type does not have (for the types the emulator knows)."""
    known = KNOWN_PROPERTIES.get(collection)
    if known is None:
        return
    nav = NAVIGATION.get(collection, frozenset())
    for name in names:
        if name not in known and name not in nav and not name.startswith("@"):
            raise bad_request(
                f"Could not find a property named '{name}' on type "
                f"'{TYPE_NAMES.get(collection, 'microsoft.graph.entity')}'."
            )


def project(
    item: Mapping[str, Any],
    select: tuple[str, ...] | None,
    default: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The properties a client sees: ``$select``, else the type's default set, else everything."""
    names = select if select is not None else default
    if names is None:
        return dict(item)
    out: dict[str, Any] = {}
    odata_type = item.get("@odata.type")
    if odata_type is not None:
        out["@odata.type"] = odata_type
    for name in names:
        value = item.get(name)
        out[name] = [] if value is None and name == "businessPhones" else value
    return out


def apply_expand(
    collection: str,
    source: Mapping[str, Any],
    shown: dict[str, Any],
    expand: Mapping[str, Expand],
    resolve: Resolver,
) -> dict[str, Any]:
    """Drop embedded navigation properties not asked for; embed those ``$expand`` asks for."""
    for name in NAVIGATION.get(collection, frozenset()):
        if name not in expand:
            shown.pop(name, None)
    for name, spec in expand.items():
        if name in source:
            shown[name] = _expanded_value(source[name], spec)
        elif f"{name}Id" in source and name in REFERENCE_COLLECTIONS:
            target = resolve(name, str(source[f"{name}Id"]))
            shown[name] = _expanded_value(target, spec) if target is not None else None
        elif name not in NAVIGATION.get(collection, frozenset()):
            raise bad_request(
                f"Could not find a property named '{name}' on type "
                f"'{TYPE_NAMES.get(collection, 'microsoft.graph.entity')}'."
            )
    return shown


def _expanded_value(value: Any, spec: Expand) -> Any:
    if isinstance(value, list):
        return [_expanded_value(v, spec) for v in value]
    if not isinstance(value, Mapping):
        return value
    shown = project(value, spec.select)
    for name in NESTED_NAVIGATION.get(spec.name, frozenset()):
        if name not in spec.expand:
            shown.pop(name, None)
    for name, nested in spec.expand.items():
        if name in value:
            shown[name] = _expanded_value(value[name], nested)
    return shown


def sort_items(items: list[dict[str, Any]], orderby: tuple[tuple[str, bool], ...]) -> None:
    """Stable multi-key sort; missing values sort first (ascending), as Graph puts nulls first."""
    for name, descending in reversed(orderby):
        path = name.split("/")

        def key(item: dict[str, Any], path: list[str] = path) -> tuple[int, Any]:
            value: Any = item
            for segment in path:
                value = value.get(segment) if isinstance(value, Mapping) else None
            if value is None:
                return (0, "")
            if isinstance(value, str):
                return (1, value.lower())
            if isinstance(value, bool | int | float):
                return (2, value)
            return (3, str(value))

        items.sort(key=key, reverse=descending)
