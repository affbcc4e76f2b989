"""``$filter``: a small OData expression parser and evaluator for the forms Graph supports.

Supported: ``eq ne gt ge lt le`` on strings (case-insensitive, as directory queries are), booleans,
numbers, GUIDs, dates and ``null``; ``in (...)``; ``and``/``or``/``not`` and parentheses;
``startswith``/``endswith``/``contains``; lambdas ``coll/any(x: ...)``/``coll/all(x: ...)``; and
``coll/$count`` comparisons. :func:`parse_filter` raises :class:`FilterSyntaxError` with Graph's
wording; :class:`Filter` remembers which constructs need Graph's advanced query mode
(ConsistencyLevel: eventual and ``$count=true`` on directory objects).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-]))
  | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<punct>[(),:])
  | (?P<name>[A-Za-z_$@][\w$.@]*(?:/[A-Za-z_$][\w$.]*)*)
    """,
    re.VERBOSE,
)
_COMPARISON = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains"}
_ADVANCED_FUNCTIONS = {"endswith"}


class FilterSyntaxError(ValueError):
    """A ``$filter`` Graph would refuse; ``code`` is Graph's error code."""

    def __init__(self, message: str, code: str = "BadRequest") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


# ---- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Prop:
    path: tuple[str, ...]


@dataclass(frozen=True)
class Count:
    prop: Prop


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In:
    left: Node
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Lambda:
    kind: str
    collection: Prop
    var: str
    body: Node


@dataclass(frozen=True)
class BoolOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Literal | Prop | Count | Compare | In | Func | Lambda | BoolOp | Not


@dataclass
class Filter:
    text: str
    root: Node
    # Properties the filter reads (first path segment, lambda variables excluded).
    properties: set[str] = field(default_factory=set)
    # The first construct that needs advanced query mode, e.g. "ne" on "accountEnabled".
    advanced: tuple[str, str] | None = None

    def matches(self, item: Mapping[str, Any]) -> bool:
        return _truthy(_eval(self.root, item, {}))


# ---- parsing ---------------------------------------------------------------------------------


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _syntax(text, pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Tok(kind, match.group(), pos))
        pos = match.end()
    return tokens


def _syntax(text: str, pos: int) -> FilterSyntaxError:
    return FilterSyntaxError(f"Invalid filter clause: Syntax error at position {pos} in '{text}'.")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.vars: list[str] = []
        self.result = Filter(text=text, root=Literal(True))

    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def error(self) -> FilterSyntaxError:
        tok = self.peek()
        return _syntax(self.text, tok.pos if tok else len(self.text))

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text.lower() != text):
            raise self.error()
        self.i += 1
        return tok

    def keyword(self, *words: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind == "name" and tok.text.lower() in words:
            return tok.text.lower()
        return None

    def parse(self) -> Filter:
        if not self.tokens:
            raise self.error()
        self.result.root = self.parse_or()
        if self.peek() is not None:
            raise self.error()
        return self.result

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.keyword("or"):
            self.i += 1
            node = BoolOp("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.keyword("and"):
            self.i += 1
            node = BoolOp("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.keyword("not"):
            self.i += 1
            self.mark_advanced("not", "")
            return Not(self.parse_not())
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.i += 1
            node = self.parse_or()
            self.take(")")
            return node
        left = self.parse_operand()
        op = self.keyword(*_COMPARISON, "in")
        if op is None:
            return left
        self.i += 1
        if op == "in":
            return In(left, self.parse_list())
        right = self.parse_operand()
        if op == "ne" or isinstance(left, Count):
            self.mark_advanced(op, _prop_name(left))
        return Compare(op, left, right)

    def parse_list(self) -> tuple[Any, ...]:
        self.take("(")
        values: list[Any] = []
        while True:
            operand = self.parse_operand()
            if not isinstance(operand, Literal):
                raise self.error()
            values.append(operand.value)
            tok = self.take()
            if tok.text == ")":
                return tuple(values)
            if tok.text != ",":
                raise _syntax(self.text, tok.pos)

    def parse_operand(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error()
        self.i += 1
        if tok.kind == "string":
            return Literal(tok.text[1:-1].replace("''", "'"))
        if tok.kind in ("guid", "datetime"):
            return Literal(tok.text)
        if tok.kind == "number":
            return Literal(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind != "name":
            raise _syntax(self.text, tok.pos)
        lowered = tok.text.lower()
        if lowered in ("true", "false"):
            return Literal(lowered == "true")
        if lowered == "null":
            return Literal(None)
        following = self.peek()
        if following is not None and following.text == "(":
            return self.parse_call(tok)
        segments = tuple(tok.text.split("/"))
        if segments[-1] == "$count" and len(segments) > 1:
            return Count(self.prop(segments[:-1]))
        return self.prop(segments)

    def prop(self, segments: tuple[str, ...]) -> Prop:
        if segments[0] not in self.vars:
            self.result.properties.add(segments[0])
        return Prop(segments)

    def parse_call(self, tok: _Tok) -> Node:
        segments = tuple(tok.text.split("/"))
        last = segments[-1].lower()
        if len(segments) > 1 and last in ("any", "all"):
            return self.parse_lambda(last, self.prop(segments[:-1]))
        if len(segments) > 1 or last not in _FUNCTIONS:
            raise FilterSyntaxError(
                f"Invalid filter clause: An unknown function with name '{tok.text}' was found. "
                "This may also be a function import or a key lookup on a navigation property, "
                "which is not allowed."
            )
        self.take("(")
        args = [self.parse_operand()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.i += 1
            args.append(self.parse_operand())
        self.take(")")
        if len(args) != 2:
            raise self.error()
        if last in _ADVANCED_FUNCTIONS:
            self.mark_advanced(last, _prop_name(args[0]))
        return Func(last, tuple(args))

    def parse_lambda(self, kind: str, collection: Prop) -> Node:
        self.take("(")
        var_tok = self.take()
        if var_tok.kind != "name":
            raise _syntax(self.text, var_tok.pos)
        self.take(":")
        self.vars.append(var_tok.text)
        try:
            body = self.parse_or()
        finally:
            self.vars.pop()
        self.take(")")
        return Lambda(kind, collection, var_tok.text, body)

    def mark_advanced(self, construct: str, prop: str) -> None:
        if self.result.advanced is None:
            self.result.advanced = (construct, prop)


def _prop_name(node: Node) -> str:
    if isinstance(node, Prop):
        return node.path[0]
    if isinstance(node, Count):
        return node.prop.path[0]
    return ""


def parse_filter(text: str) -> Filter:
    return _Parser(text).parse()


# ---- evaluation ------------------------------------------------------------------------------


def _resolve(path: tuple[str, ...], item: Any, env: Mapping[str, Any]) -> Any:
    if path[0] in env:
        value, rest = env[path[0]], path[1:]
    else:
        value, rest = item, path
    for segment in rest:
        if not isinstance(value, Mapping):
            return None
        value = value.get(segment)
    return value


def _eval(node: Node, item: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Prop):
        return _resolve(node.path, item, env)
    if isinstance(node, Count):
        value = _resolve(node.prop.path, item, env)
        return len(value) if isinstance(value, list) else 0
    if isinstance(node, Compare):
        return _compare(node.op, _eval(node.left, item, env), _eval(node.right, item, env))
    if isinstance(node, In):
        value = _eval(node.left, item, env)
        return any(_compare("eq", value, candidate) for candidate in node.values)
    if isinstance(node, Func):
        return _call(node.name, _eval(node.args[0], item, env), _eval(node.args[1], item, env))
    if isinstance(node, Lambda):
        values = _resolve(node.collection.path, item, env)
        members = values if isinstance(values, list) else []
        results = (_truthy(_eval(node.body, item, {**env, node.var: m})) for m in members)
        return any(results) if node.kind == "any" else all(results)
    if isinstance(node, BoolOp):
        left = _truthy(_eval(node.left, item, env))
        if node.op == "and":
            return left and _truthy(_eval(node.right, item, env))
        return left or _truthy(_eval(node.right, item, env))
    return not _truthy(_eval(node.operand, item, env))


def _truthy(value: Any) -> bool:
    return value is True


def _as_datetime(value: str) -> datetime | None:
    if len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    if isinstance(left, bool) or isinstance(right, bool):
        return (left, right) if isinstance(left, bool) and isinstance(right, bool) else None
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        left_dt, right_dt = _as_datetime(left), _as_datetime(right)
        if left_dt is not None and right_dt is not None:
            if (left_dt.tzinfo is None) != (right_dt.tzinfo is None):
                left_dt, right_dt = left_dt.replace(tzinfo=None), right_dt.replace(tzinfo=None)
            return left_dt, right_dt
        return left.lower(), right.lower()
    return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        if op == "eq":
            return left is right
        if op == "ne":
            return left is not right
        return False
    pair = _comparable(left, right)
    if pair is None:
        return op == "ne"
    a, b = pair
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    try:
        if op == "gt":
            return bool(a > b)
        if op == "ge":
            return bool(a >= b)
        if op == "lt":
            return bool(a < b)
        return bool(a <= b)
    except TypeError:
        return False


def _call(name: str, value: Any, arg: Any) -> bool:
    if not isinstance(value, str) or not isinstance(arg, str):
        return False
    text, needle = value.lower(), arg.lower()
    if name == "startswith":
        return text.startswith(needle)
    if name == "endswith":
        return text.endswith(needle)
    return needle in text
