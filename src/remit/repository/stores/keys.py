"""Checks on object keys and list prefixes shared by every backend.

A bad key is a programming error in the repository, never user input, so it raises
``ValueError``. Keys are ``/``-separated relative names made of non-empty parts; a part may not
be ``.`` or ``..`` (no escaping the store) nor start with ``TEMP_PREFIX`` (the local store's
in-flight files, which listings skip).
"""

from __future__ import annotations

TEMP_PREFIX = ".tmp-"
"""Name prefix of the local store's temporary files; no key part may start with it."""


def check_key(key: str) -> str:
    """``key`` itself if it is a valid object key, else ``ValueError``."""
    _check_parts(key, key.split("/"), what="key")
    return key


def check_prefix(prefix: str) -> str:
    """``prefix`` itself if it is a valid list prefix (``""``, ``"data/"``, ``"keys/3f"``)."""
    if prefix == "":
        return prefix
    parts = prefix.split("/")
    last = parts.pop()
    if parts:
        _check_parts(prefix, parts, what="prefix")
    if last:
        _check_parts(prefix, [last], what="prefix")
    return prefix


def _check_parts(whole: str, parts: list[str], *, what: str) -> None:
    if not whole or "\\" in whole or "\0" in whole:
        raise ValueError(f"invalid object {what} {whole!r}: empty, or contains '\\' or NUL")
    for part in parts:
        if part in ("", ".", ".."):
            raise ValueError(
                f"invalid object {what} {whole!r}: absolute, or an empty, '.' or '..' part"
            )
        if part.startswith(TEMP_PREFIX):
            raise ValueError(f"invalid object {what} {whole!r}: a part starts with {TEMP_PREFIX!r}")
