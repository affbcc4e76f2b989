"""The MSP default baseline shipped with Remit (``default_baseline.yaml``, data, not code).

Its RACI follows each catalogue control's default owner (MSP, shared, customer); a workspace
stores it as the first revision of the baseline ``default``, which the MSP then edits.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from remit.governance.model import ControlMapDoc
from remit.governance.validate import KnownIds
from remit.governance.yamlio import load_yaml

DEFAULT_BASELINE_FILE = "default_baseline.yaml"


def shipped_default(known: KnownIds | None = None) -> ControlMapDoc:
    """The default baseline as shipped, validated against the catalogue (``known``: the
    catalogue's ids, by default the shipped catalogue's; that one is read once per process)."""
    if known is None:
        return _shipped()
    return load_yaml(_text(), DEFAULT_BASELINE_FILE, known)


def _text() -> str:
    return (resources.files("remit.governance") / DEFAULT_BASELINE_FILE).read_text(encoding="utf-8")


@cache
def _shipped() -> ControlMapDoc:
    # Documents are frozen models; every reader gets the same one.
    return load_yaml(_text(), DEFAULT_BASELINE_FILE)
