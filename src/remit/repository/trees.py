"""Tree blobs: one directory (or other container) listing as compact JSON.

``{"nodes": [node, …]}`` sorted by name; a node is ``{"name", "type": "file" | "dir" |
"symlink", "mode", "mtime_ns", "size", "inode", "content": [piece, …] | "subtree": id |
"target": str}``. A piece is a data blob id (hex) whose bytes are taken as they are, or
``{"b64": [ids], "w": line length, "eol": "crlf" | "lf", "end": bool}``: decoded MIME bytes
that are base64-encoded again on restore (how one attachment is stored once for many mails).
Names that are not valid UTF-8 are kept with Python's surrogate escapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from remit.errors import IntegrityError

Piece: TypeAlias = str | dict[str, Any]


@dataclass(slots=True)
class Node:
    name: str
    type: str
    mode: int = 0
    mtime_ns: int = 0
    size: int = 0
    inode: int = 0
    content: list[Piece] = field(default_factory=list)
    subtree: str | None = None
    target: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "mode": self.mode,
            "mtime_ns": self.mtime_ns,
        }
        if self.type == "file":
            doc.update(size=self.size, inode=self.inode, content=self.content)
        elif self.type == "dir":
            doc["subtree"] = self.subtree
        elif self.type == "symlink":
            doc["target"] = self.target
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Node:
        return cls(
            name=str(doc["name"]),
            type=str(doc["type"]),
            mode=int(doc.get("mode", 0)),
            mtime_ns=int(doc.get("mtime_ns", 0)),
            size=int(doc.get("size", 0)),
            inode=int(doc.get("inode", 0)),
            content=list(doc.get("content", [])),
            subtree=doc.get("subtree"),
            target=doc.get("target"),
        )

    def blob_ids(self) -> list[bytes]:
        """Every data blob this node's content refers to."""
        out: list[bytes] = []
        for piece in self.content:
            if isinstance(piece, str):
                out.append(bytes.fromhex(piece))
            else:
                out.extend(bytes.fromhex(i) for i in piece["b64"])
        return out


def encode_tree(nodes: list[Node]) -> bytes:
    nodes = sorted(nodes, key=lambda n: n.name)
    return json.dumps({"nodes": [n.to_json() for n in nodes]}, separators=(",", ":")).encode()


def decode_tree(raw: bytes, tree_id: str) -> list[Node]:
    try:
        doc = json.loads(raw)
        return [Node.from_json(n) for n in doc["nodes"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"tree {tree_id} is malformed: {exc}") from None
