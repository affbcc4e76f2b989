"""Who makes a change: ``--author``, else ``$REMIT_AUTHOR``, else the operating-system user."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from remit.errors import InvalidInput

AUTHOR_ENV_VAR = "REMIT_AUTHOR"


def resolve_author(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    if explicit is not None:
        if not explicit.strip():
            raise InvalidInput("--author is empty; name who makes the change")
        return explicit.strip()
    env = os.environ if environ is None else environ
    from_env = env.get(AUTHOR_ENV_VAR, "").strip()
    if from_env:
        return from_env
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = ""
    if not user.strip():
        raise InvalidInput(
            f"cannot tell who makes the change: pass --author or set ${AUTHOR_ENV_VAR}"
        )
    return user.strip()


def require_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("--reason is empty; say why (a ticket number helps)")
    return reason.strip()
