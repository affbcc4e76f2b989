"""Quiet hours: a daily window, in a time zone, during which non-critical alerts are held.

``QuietWindow.parse("22:00-07:00", "Europe/London")``; a window whose start is after its end
spans midnight. An alert raised inside the window is due when the window ends (in UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from remit.errors import InvalidInput

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA time zone (``Europe/London``, ``America/New_York``, ``UTC``)."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"time zone '{name}' is unknown; use an IANA name such as Europe/London, "
            "America/New_York or UTC"
        ) from None


@dataclass(frozen=True, slots=True)
class QuietWindow:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, timezone: str = "UTC") -> QuietWindow:
        match = _WINDOW.match(text)
        hours_minutes = [int(g) for g in match.groups()] if match else []
        if (
            not match
            or hours_minutes[0] > 23
            or hours_minutes[2] > 23
            or (hours_minutes[1] > 59 or hours_minutes[3] > 59)
        ):
            raise InvalidInput(
                f"quiet hours '{text}' are not a window like 22:00-07:00 (HH:MM-HH:MM, 24-hour)"
            )
        start = time(hours_minutes[0], hours_minutes[1])
        end = time(hours_minutes[2], hours_minutes[3])
        if start == end:
            raise InvalidInput(
                f"quiet hours '{text}' start and end at the same time; give a window such as "
                "22:00-07:00"
            )
        return cls(start, end, parse_timezone(timezone))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def release_at(self, moment: datetime) -> datetime | None:
        """When the window containing ``moment`` ends (UTC), or None when outside the window."""
        local = moment.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= clock < self.end
            end_day = local.date()
        else:  # spans midnight
            inside = clock >= self.start or clock < self.end
            end_day = local.date() + timedelta(days=1) if clock >= self.start else local.date()
        if not inside:
            return None
        return datetime.combine(end_day, self.end, tzinfo=self.zone).astimezone(UTC)
