"""Retention policies for the backup repository (which snapshots ``forget`` keeps).

This is Remit's own retention, independent of any Microsoft 365 retention. It follows restic's
``forget`` semantics, which technicians already know, applied to each protected resource on its
own (snapshots are grouped by their ``resource`` string, e.g. ``mailbox:alice@contoso.com``):

* Snapshots of a resource are sorted newest first (ties broken by id, so the answer does not
  depend on input order).
* ``keep_last N`` keeps the N newest snapshots.
* ``keep_hourly``/``daily``/``weekly``/``monthly``/``yearly N`` walk the snapshots newest first
  and keep the newest snapshot of each calendar bucket (UTC hour, UTC day, ISO week, UTC month,
  UTC year) until N buckets have been used. A bucket counts once its newest snapshot is seen,
  whether or not another rule already keeps that snapshot. As in restic ≥ 0.16, if a counter is
  not used up when the oldest snapshot is reached, the oldest snapshot is kept as well, so that
  the longest possible history survives while the policy is not yet "full".
* ``keep_within D`` keeps every snapshot strictly newer than ``anchor - D``, where ``anchor`` is
  the newest snapshot of the resource that is not dated after ``now`` (restic measures from the
  newest snapshot, not from the clock: a resource whose backups stopped keeps its last window
  instead of losing everything; ``now`` only stops a skewed future date from moving the window).
  ``D`` is calendar-relative, as in restic (see ``Duration``).
* ``keep_tags`` keeps any snapshot carrying one of the tags; tags do not use up any counter.
* A snapshot with ``hold=True`` (legal hold) is always kept, with the reason ``"legal hold"``;
  like a tagged snapshot in restic, it still takes part in the counting like any other.
* A snapshot dated after ``now`` (clock skew) is always kept, with the reason
  ``"dated in the future"``, and takes part in the counting exactly as in restic: it is the
  newest, so it uses up a ``keep_last`` slot and the slot of its bucket.

Every rule that keeps a snapshot is listed in its reasons. An empty policy is refused with
``InvalidInput`` rather than guessed at: nothing is ever forgotten by omission.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from remit.errors import InvalidInput

__all__ = [
    "Decision",
    "Duration",
    "Policy",
    "SnapshotRef",
    "apply_policy",
    "parse_duration",
    "policy_from_options",
]

_DURATION_HELP = (
    "write whole numbers followed by y (years), m (months), d (days) or h (hours), "
    "e.g. 30d, 12h or 2y5m7d3h"
)


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar-relative span, as restic's ``--keep-within`` takes it (``2y5m7d3h``).

    Going back ``D`` from a time ``t`` first moves the calendar back by the years and months
    (clamping the day to the end of a shorter month: 31 March - 1m = 28/29 February, and
    29 February - 1y = 28 February), then subtracts the days and hours (UTC days are 24 h).
    Restic normalises instead (31 March - 1m = 3 March); clamping reaches further back, so it
    keeps at least as much.
    """

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0

    def __post_init__(self) -> None:
        values = (self.years, self.months, self.days, self.hours)
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
            raise InvalidInput(f"invalid duration {values!r}: parts must be whole numbers >= 0")
        if not any(values):
            raise InvalidInput(f"invalid duration {self}: it is zero; {_DURATION_HELP}")

    def __str__(self) -> str:
        parts = zip((self.years, self.months, self.days, self.hours), "ymdh", strict=True)
        return "".join(f"{n}{unit}" for n, unit in parts if n) or "0h"

    def before(self, t: datetime) -> datetime | None:
        """Return ``t`` minus this span, or None when that is before the year 1."""
        try:
            months = t.year * 12 + (t.month - 1) - (self.years * 12 + self.months)
            year, month0 = divmod(months, 12)
            if year < 1:
                return None
            day = min(t.day, calendar.monthrange(year, month0 + 1)[1])
            moved = t.replace(year=year, month=month0 + 1, day=day)
            return moved - timedelta(days=self.days, hours=self.hours)
        except OverflowError:
            return None


def parse_duration(text: str) -> Duration:
    """Parse a restic-style duration such as ``30d``, ``12h`` or ``2y5m7d3h``.

    Units are ``y``, ``m`` (months, not minutes), ``d`` and ``h``, in any order, each at most
    once; the result is calendar-relative (see ``Duration``). Raises ``InvalidInput``.
    """
    cleaned = text.strip()
    if not re.fullmatch(r"(?:[0-9]+[ymdh])+", cleaned):
        raise InvalidInput(f"invalid duration {text!r}: {_DURATION_HELP}")
    parts: dict[str, int] = {}
    for number, unit in re.findall(r"([0-9]+)([ymdh])", cleaned):
        if unit in parts:
            raise InvalidInput(f"invalid duration {text!r}: unit {unit!r} appears twice")
        parts[unit] = int(number)
    if not any(parts.values()):
        raise InvalidInput(f"invalid duration {text!r}: it is zero; {_DURATION_HELP}")
    return Duration(
        years=parts.get("y", 0),
        months=parts.get("m", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
    )


def _format_within(within: Duration | timedelta) -> str:
    if isinstance(within, Duration):
        return str(within)
    if within % timedelta(hours=1):
        return str(within)
    days, hours = divmod(within // timedelta(hours=1), 24)
    return (f"{days}d" if days else "") + (f"{hours}h" if hours else "")


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    """What retention needs to know about one snapshot."""

    id: str
    time: datetime  # timezone-aware; buckets are computed in UTC
    resource: str
    hold: bool = False
    tags: frozenset[str] = frozenset()


_COUNT_FIELDS = (
    "keep_last",
    "keep_hourly",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
    "keep_yearly",
)


@dataclass(frozen=True, slots=True)
class Policy:
    """A retention policy; every rule that matches a snapshot keeps it.

    ``keep_within`` takes a calendar-relative ``Duration`` (what ``parse_duration`` returns) or
    an exact ``timedelta``. Invalid values raise ``InvalidInput`` on construction.
    """

    keep_last: int = 0
    keep_hourly: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0
    keep_yearly: int = 0
    keep_within: Duration | timedelta | None = None
    keep_tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                flag = name.replace("_", "-")
                raise InvalidInput(
                    f"invalid retention policy: {flag} is {value!r}; give a whole number >= 0"
                )
        within = self.keep_within
        if within is not None and not isinstance(within, Duration | timedelta):
            raise InvalidInput(
                f"invalid retention policy: keep-within is {within!r}; "
                "give a Duration (see parse_duration) or a timedelta"
            )
        if isinstance(within, timedelta) and within <= timedelta(0):
            raise InvalidInput(
                f"invalid retention policy: keep-within is {within}; give a positive duration"
            )
        tags = frozenset(self.keep_tags)
        if any(not isinstance(tag, str) or not tag.strip() for tag in tags):
            raise InvalidInput("invalid retention policy: keep-tag has an empty tag; name a tag")
        object.__setattr__(self, "keep_tags", tags)

    def counts(self) -> tuple[int, int, int, int, int, int]:
        """The six counters: last, hourly, daily, weekly, monthly, yearly."""
        return (
            self.keep_last,
            self.keep_hourly,
            self.keep_daily,
            self.keep_weekly,
            self.keep_monthly,
            self.keep_yearly,
        )

    def is_empty(self) -> bool:
        """True when no rule is set (such a policy must not be applied)."""
        return not any(self.counts()) and self.keep_within is None and not self.keep_tags

    def describe(self) -> str:
        """One line for humans, e.g. ``last 3, daily 7, weekly 4, within 30d``."""
        parts = [
            f"{name.removeprefix('keep_')} {count}"
            for name, count in zip(_COUNT_FIELDS, self.counts(), strict=True)
            if count
        ]
        if self.keep_within is not None:
            parts.append(f"within {_format_within(self.keep_within)}")
        if self.keep_tags:
            parts.append("tagged " + " or ".join(sorted(self.keep_tags)))
        return ", ".join(parts) or "no rule"


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one snapshot is kept, and every reason it is."""

    snapshot: SnapshotRef
    keep: bool
    reasons: tuple[str, ...]


def policy_from_options(
    *,
    keep_last: int | None = None,
    keep_hourly: int | None = None,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    keep_monthly: int | None = None,
    keep_yearly: int | None = None,
    keep_within: str | None = None,
    keep_tags: Iterable[str] = (),
) -> Policy:
    """Build a ``Policy`` from command-line values (None means "not given").

    Raises ``InvalidInput`` with a one-line message for negative counts, bad durations and
    empty tags. An empty result is returned as is: check ``is_empty()`` and decide.
    """
    within = None
    if keep_within is not None:
        try:
            within = parse_duration(keep_within)
        except InvalidInput as exc:
            raise InvalidInput(f"--keep-within: {exc}") from None
    return Policy(
        keep_last=keep_last or 0,
        keep_hourly=keep_hourly or 0,
        keep_daily=keep_daily or 0,
        keep_weekly=keep_weekly or 0,
        keep_monthly=keep_monthly or 0,
        keep_yearly=keep_yearly or 0,
        keep_within=within,
        keep_tags=frozenset(keep_tags),
    )


# --- the algorithm ---------------------------------------------------------------------------

_Bucketer = Callable[[datetime, int], tuple[object, str]]


def _by_position(_t: datetime, nr: int) -> tuple[object, str]:
    return nr, ""


def _by_hour(t: datetime, _nr: int) -> tuple[object, str]:
    return (t.year, t.month, t.day, t.hour), f"{t.date().isoformat()} {t.hour:02d}:00"


def _by_day(t: datetime, _nr: int) -> tuple[object, str]:
    return t.date(), t.date().isoformat()


def _by_week(t: datetime, _nr: int) -> tuple[object, str]:
    iso = t.isocalendar()
    return (iso.year, iso.week), f"{iso.year:04d}-W{iso.week:02d}"


def _by_month(t: datetime, _nr: int) -> tuple[object, str]:
    return (t.year, t.month), f"{t.year:04d}-{t.month:02d}"


def _by_year(t: datetime, _nr: int) -> tuple[object, str]:
    return t.year, f"{t.year:04d}"


# (rule name, unit for the "oldest snapshot" reason, bucket function), in Policy.counts() order
_RULES: tuple[tuple[str, str, _Bucketer], ...] = (
    ("last", "snapshots", _by_position),
    ("hourly", "hours", _by_hour),
    ("daily", "days", _by_day),
    ("weekly", "weeks", _by_week),
    ("monthly", "months", _by_month),
    ("yearly", "years", _by_year),
)


def _require_aware(what: str, t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidInput(f"{what} has no time zone ({t.isoformat()}); give an aware UTC time")


def _decide_resource(snapshots: list[SnapshotRef], policy: Policy, now: datetime) -> list[Decision]:
    """Apply ``policy`` to one resource's snapshots, sorted newest first."""
    counters = list(policy.counts())
    last_bucket: list[object] = [None] * len(_RULES)
    cutoff: datetime | None = None
    everything_within = False
    within_reason = ""
    if policy.keep_within is not None:
        anchor = max((s.time for s in snapshots if s.time <= now), default=None)
        if anchor is not None:
            within = policy.keep_within
            if isinstance(within, Duration):
                cutoff = within.before(anchor)
            else:
                try:
                    cutoff = anchor - within
                except OverflowError:
                    cutoff = None
        everything_within = cutoff is None
        within_reason = f"within {_format_within(policy.keep_within)}"

    decisions: list[Decision] = []
    oldest = len(snapshots) - 1
    for nr, snap in enumerate(snapshots):
        reasons: list[str] = []
        if snap.hold:
            reasons.append("legal hold")
        if snap.time > now:
            reasons.append("dated in the future")
        reasons.extend(f"tagged {tag}" for tag in sorted(policy.keep_tags & snap.tags))
        if policy.keep_within is not None and (
            everything_within or (cutoff is not None and snap.time > cutoff)
        ):
            reasons.append(within_reason)
        utc = snap.time.astimezone(UTC)
        for i, (name, unit, bucketer) in enumerate(_RULES):
            if counters[i] <= 0:
                continue
            key, label = bucketer(utc, nr)
            if key != last_bucket[i]:
                last_bucket[i] = key
                counters[i] -= 1
                reasons.append(f"{name} snapshot" + (f" {label}" if label else ""))
            elif nr == oldest:
                wanted = policy.counts()[i]
                used = wanted - counters[i]
                counters[i] -= 1
                reasons.append(f"oldest snapshot (only {used} of {wanted} {unit} have snapshots)")
        decisions.append(Decision(snapshot=snap, keep=bool(reasons), reasons=tuple(reasons)))
    return decisions


def apply_policy(
    snapshots: Iterable[SnapshotRef], policy: Policy, *, now: datetime
) -> list[Decision]:
    """Decide, for every snapshot, whether ``policy`` keeps it (see the module docstring).

    Returns one ``Decision`` per snapshot, grouped by resource (sorted by name), newest first
    within each resource. Raises ``InvalidInput`` when the policy is empty ("no retention rule
    given: ..."), when a time has no time zone, or when two snapshots share an id.
    """
    if policy.is_empty():
        raise InvalidInput(
            "no retention rule given: set at least one of keep-last, keep-hourly, keep-daily, "
            "keep-weekly, keep-monthly, keep-yearly, keep-within or keep-tag "
            "(an empty policy is refused so that nothing is forgotten by mistake)"
        )
    _require_aware("the current time", now)
    groups: dict[str, list[SnapshotRef]] = {}
    seen: set[str] = set()
    for snap in snapshots:
        _require_aware(f"snapshot {snap.id}", snap.time)
        if snap.id in seen:
            raise InvalidInput(
                f"snapshot {snap.id} is listed twice; list each snapshot once (a caller bug)"
            )
        seen.add(snap.id)
        groups.setdefault(snap.resource, []).append(snap)
    decisions: list[Decision] = []
    for resource in sorted(groups):
        ordered = sorted(groups[resource], key=lambda s: (s.time, s.id), reverse=True)
        decisions.extend(_decide_resource(ordered, policy, now))
    return decisions
