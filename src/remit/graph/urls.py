"""URLs relative to Graph's versioned root: building queries, resolving nextLinks safely."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

# Characters OData query options read better unescaped and that are safe inside a value.
_QUERY_SAFE = "$,()':@/"


def encode_query(params: Mapping[str, str]) -> str:
    """``$select=id,displayName&$filter=startswith(displayName,'a%20b')`` (spaces as %20)."""
    return urlencode(dict(params), quote_via=quote, safe=_QUERY_SAFE)


def with_query(url: str, params: Mapping[str, str] | None) -> str:
    """``url`` with ``params`` appended to whatever query it already has."""
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{encode_query(params)}"


class ForeignUrlError(ValueError):
    """An absolute URL that does not point at the configured Graph host."""


@dataclass(frozen=True, slots=True)
class GraphBase:
    """The configured Graph root, e.g. ``https://graph.microsoft.com/v1.0``."""

    scheme: str
    netloc: str
    prefix: str  # "/v1.0"

    @classmethod
    def parse(cls, base_url: str) -> GraphBase:
        parts = urlsplit(base_url.rstrip("/"))
        return cls(parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"))

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.prefix}"

    def relative(self, path_or_url: str) -> str:
        """The path and query relative to the root: ``users?$top=5``.

        Absolute URLs (nextLinks, deltaLinks) must be on the same scheme and host; anything
        else raises :class:`ForeignUrlError` so that a token is never sent elsewhere.
        """
        if "://" not in path_or_url.split("?", 1)[0]:
            return path_or_url.lstrip("/")
        parts = urlsplit(path_or_url)
        if parts.scheme.lower() != self.scheme or parts.netloc.lower() != self.netloc:
            raise ForeignUrlError(f"{parts.scheme}://{parts.netloc}")
        path = parts.path
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix) :]
        relative = path.lstrip("/")
        return f"{relative}?{parts.query}" if parts.query else relative

    def absolute(self, relative: str) -> str:
        return f"{self.url}/{relative.lstrip('/')}"


def split_path(relative: str) -> tuple[str, dict[str, str]]:
    """``users?$select=id`` → (``users``, {"$select": "id"}), query values percent-decoded."""
    path, _, query = relative.partition("?")
    return path, dict(parse_qsl(query, keep_blank_values=True))
