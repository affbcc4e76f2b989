"""What still counts on a given day: exceptions and approvals have end dates.

Dates are inclusive: an exception that ``expires: 2026-12-31`` still counts on 31 December and
has expired on 1 January; an approval ``until: 2026-12-31`` likewise. An exception counts only
once the client signed it off.
"""

from __future__ import annotations

import enum
from datetime import date

from remit.governance.model import ApprovedAccess, ControlException, ControlMapDoc


class ExceptionState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    UNSIGNED = "not signed off"  # the client's sign-off is missing: it does not count yet


def exception_state(exception: ControlException, today: date) -> ExceptionState:
    if exception.expires < today:
        return ExceptionState.EXPIRED
    if not exception.signed_off_by.strip():
        return ExceptionState.UNSIGNED
    return ExceptionState.ACTIVE


def active_exceptions(doc: ControlMapDoc, today: date) -> list[ControlException]:
    """The exceptions that count on ``today``: signed off and not expired."""
    return [e for e in doc.exceptions if exception_state(e, today) is ExceptionState.ACTIVE]


def approval_expired(access: ApprovedAccess, today: date) -> bool:
    """The approval ended (``until`` passed) or the contractor's engagement did."""
    ends = [d for d in (access.until, access.contractor_until) if d is not None]
    return any(end < today for end in ends)
