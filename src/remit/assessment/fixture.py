"""Read a Graph fixture file (the emulator's format) for `remit assess --fixture`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from remit.errors import InvalidInput

RESERVED_KEY = "_emulator"  # the emulator's own settings inside a fixture; not Graph data


def load_fixture_payloads(path: Path) -> dict[str, Any]:
    """The Graph bodies of a fixture file by key; one clear error naming file and position."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such fixture file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text; a fixture is a JSON file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the fixture file ({exc.strerror})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(document, dict):
        raise InvalidInput(
            f"{path}: the top level must be a JSON object mapping Graph paths (such as "
            f"'users') to the bodies Graph returns, not {type(document).__name__}"
        )
    for key, body in document.items():
        if key == RESERVED_KEY:
            continue
        if isinstance(body, dict) and "value" in body and not isinstance(body["value"], list):
            raise InvalidInput(f"{path}: {key!r}: a collection's 'value' must be a list")
    return {key: body for key, body in document.items() if key != RESERVED_KEY}
