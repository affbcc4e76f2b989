"""Quiet hours: parsing, windows within a day and across midnight, time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from remit.alerts.quiet import QuietWindow, parse_timezone
from remit.errors import InvalidInput


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_window_across_midnight_releases_at_its_end() -> None:
    window = QuietWindow.parse("22:00-07:00")
    assert str(window) == "22:00-07:00"
    assert window.release_at(at(23, 30)) == at(7, 0, day=24)  # evening: the next morning
    assert window.release_at(at(3, 15)) == at(7, 0)  # small hours: this morning
    assert window.release_at(at(22, 0)) == at(7, 0, day=24)  # the start is inside
    assert window.release_at(at(7, 0)) is None  # the end is outside
    assert window.release_at(at(12, 0)) is None


def test_window_within_a_day() -> None:
    window = QuietWindow.parse("12:30-13:30")
    assert window.release_at(at(12, 45)) == at(13, 30)
    assert window.release_at(at(12, 29)) is None
    assert window.release_at(at(13, 30)) is None


def test_window_is_read_in_its_time_zone() -> None:
    # New York is UTC-5 in November: 22:00-07:00 there is 03:00-12:00 UTC.
    window = QuietWindow.parse("22:00-07:00", "America/New_York")
    assert window.release_at(at(4, 0)) == at(12, 0)
    assert window.release_at(at(2, 0)) is None  # 21:00 in New York
    assert window.release_at(at(12, 0)) is None


def test_release_follows_daylight_saving_time() -> None:
    # London moves to BST on 2026-03-29 at 01:00 UTC: the window ending at 07:00 local ends at
    # 06:00 UTC that morning, but 07:00 UTC the morning before.
    window = QuietWindow.parse("22:00-07:00", "Europe/London")
    assert window.release_at(datetime(2026, 3, 28, 23, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 6, 0, tzinfo=UTC
    )
    assert window.release_at(datetime(2026, 3, 27, 23, 0, tzinfo=UTC)) == datetime(
        2026, 3, 28, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["22-07", "22:00", "25:00-07:00", "22:00-07:61", "07:00-07:00", "night", ""]
)
def test_bad_windows_are_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"22:00-07:00"):
        QuietWindow.parse(text)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Mars/Olympus"):
        parse_timezone("Mars/Olympus")
    with pytest.raises(InvalidInput, match="IANA"):
        QuietWindow.parse("22:00-07:00", "../etc/passwd")
