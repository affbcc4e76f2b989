"""Retention policies: restic ``forget`` semantics per resource, plus legal hold.

Expectations in the tables are computed by hand from the calendar (comments say how), not by
running the code.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.errors import ExitCode, InvalidInput
from remit.repository.retention import (
    Decision,
    Duration,
    Policy,
    SnapshotRef,
    apply_policy,
    parse_duration,
    policy_from_options,
)

R = "mailbox:alice@contoso.com"


def at(text: str) -> datetime:
    """An ISO time without offset, read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def snap(
    sid: str, when: str | datetime, resource: str = R, *, hold: bool = False, tags: str = ""
) -> SnapshotRef:
    time = at(when) if isinstance(when, str) else when
    return SnapshotRef(sid, time, resource, hold=hold, tags=frozenset(tags.split()))


def kept(decisions: list[Decision]) -> dict[str, tuple[str, ...]]:
    return {d.snapshot.id: d.reasons for d in decisions if d.keep}


# --- a year of daily snapshots ------------------------------------------------------------------
# 2026-01-01 is a Thursday and 2026 is not a leap year, so 2026 has 53 ISO weeks and
# 2026-W53 runs from Monday 2026-12-28 to Sunday 2027-01-03; W52 ends on Sunday 12-27,
# W51 on 12-20, W50 on 12-13.

YEAR = [
    SnapshotRef(d.isoformat(), datetime(d.year, d.month, d.day, 12, tzinfo=UTC), R)
    for d in (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
]

YEAR_EXPECTED = {
    "2026-12-31": (
        "daily snapshot 2026-12-31",
        "weekly snapshot 2026-W53",
        "monthly snapshot 2026-12",
        "yearly snapshot 2026",
    ),
    "2026-12-30": ("daily snapshot 2026-12-30",),
    "2026-12-29": ("daily snapshot 2026-12-29",),
    "2026-12-28": ("daily snapshot 2026-12-28",),
    "2026-12-27": ("daily snapshot 2026-12-27", "weekly snapshot 2026-W52"),
    "2026-12-26": ("daily snapshot 2026-12-26",),
    "2026-12-25": ("daily snapshot 2026-12-25",),
    "2026-12-20": ("weekly snapshot 2026-W51",),
    "2026-12-13": ("weekly snapshot 2026-W50",),
    "2026-11-30": ("monthly snapshot 2026-11",),
    "2026-10-31": ("monthly snapshot 2026-10",),
    "2026-09-30": ("monthly snapshot 2026-09",),
    "2026-08-31": ("monthly snapshot 2026-08",),
    "2026-07-31": ("monthly snapshot 2026-07",),
    "2026-06-30": ("monthly snapshot 2026-06",),
    "2026-05-31": ("monthly snapshot 2026-05",),
    "2026-04-30": ("monthly snapshot 2026-04",),
    "2026-03-31": ("monthly snapshot 2026-03",),
    "2026-02-28": ("monthly snapshot 2026-02",),
    "2026-01-31": ("monthly snapshot 2026-01",),
    # 12 months used up exactly at 01-31; only 1 of 3 yearly buckets exists, so restic keeps
    # the oldest snapshot as well.
    "2026-01-01": ("oldest snapshot (only 1 of 3 years have snapshots)",),
}


def test_a_year_of_daily_snapshots() -> None:
    policy = Policy(keep_daily=7, keep_weekly=4, keep_monthly=12, keep_yearly=3)
    decisions = apply_policy(YEAR, policy, now=at("2027-01-01T00:00"))
    assert kept(decisions) == YEAR_EXPECTED
    assert len(decisions) == 365
    assert all(d.reasons == () for d in decisions if not d.keep)


def test_a_year_of_daily_snapshots_with_more_months_than_exist() -> None:
    # monthly 13: the 12 month-ends are used, one count is left, so 01-01 is kept for months too
    policy = Policy(keep_monthly=13)
    result = kept(apply_policy(YEAR, policy, now=at("2027-01-01T00:00")))
    assert len(result) == 13
    assert result["2026-01-01"] == ("oldest snapshot (only 12 of 13 months have snapshots)",)


# --- table of small cases -------------------------------------------------------------------------

CASES: list[tuple[str, list[SnapshotRef], Policy, str, dict[str, tuple[str, ...]]]] = [
    (
        "keep-last and keep-daily keep the same newest snapshot; reasons from both",
        [
            snap("a", "2026-03-02T05:00"),
            snap("b", "2026-03-02T04:00"),
            snap("c", "2026-03-02T03:00"),
            snap("d", "2026-03-01T23:00"),
            snap("e", "2026-03-01T10:00"),
        ],
        Policy(keep_last=2, keep_daily=2),
        "2026-03-03T00:00",
        {
            "a": ("last snapshot", "daily snapshot 2026-03-02"),
            "b": ("last snapshot",),
            "d": ("daily snapshot 2026-03-01",),
        },
    ),
    (
        "a daily count left over keeps the oldest snapshot too (restic >= 0.16)",
        [
            snap("a", "2026-03-02T05:00"),
            snap("b", "2026-03-02T04:00"),
            snap("d", "2026-03-01T23:00"),
            snap("e", "2026-03-01T10:00"),
        ],
        Policy(keep_daily=3),
        "2026-03-03T00:00",
        {
            "a": ("daily snapshot 2026-03-02",),
            "d": ("daily snapshot 2026-03-01",),
            "e": ("oldest snapshot (only 2 of 3 days have snapshots)",),
        },
    ),
    (
        "hourly buckets are calendar hours; hours without snapshots are not counted",
        [
            snap("h1", "2026-05-05T10:05"),
            snap("h2", "2026-05-05T10:50"),
            snap("h3", "2026-05-05T11:10"),
            snap("h4", "2026-05-05T13:00"),
        ],
        Policy(keep_hourly=2),
        "2026-05-06T00:00",
        {
            "h4": ("hourly snapshot 2026-05-05 13:00",),
            "h3": ("hourly snapshot 2026-05-05 11:00",),
        },
    ),
    (
        "hourly 4 with only 3 hours: newest of each hour, plus the oldest",
        [
            snap("h1", "2026-05-05T10:05"),
            snap("h2", "2026-05-05T10:50"),
            snap("h3", "2026-05-05T11:10"),
            snap("h4", "2026-05-05T13:00"),
        ],
        Policy(keep_hourly=4),
        "2026-05-06T00:00",
        {
            "h4": ("hourly snapshot 2026-05-05 13:00",),
            "h3": ("hourly snapshot 2026-05-05 11:00",),
            "h2": ("hourly snapshot 2026-05-05 10:00",),
            "h1": ("oldest snapshot (only 3 of 4 hours have snapshots)",),
        },
    ),
    (
        "legal hold is kept even with keep-last 1",
        [
            snap("s1", "2026-01-01T00:00", hold=True),
            snap("s2", "2026-01-02T00:00"),
            snap("s3", "2026-01-03T00:00"),
        ],
        Policy(keep_last=1),
        "2026-01-04T00:00",
        {"s3": ("last snapshot",), "s1": ("legal hold",)},
    ),
    (
        "a held snapshot also matched by a rule lists both reasons",
        [snap("s1", "2026-01-01T00:00"), snap("s2", "2026-01-02T00:00", hold=True)],
        Policy(keep_last=1),
        "2026-01-04T00:00",
        {"s2": ("legal hold", "last snapshot")},
    ),
    (
        "resources are counted separately",
        [
            snap("a1", "2026-01-01T00:00"),
            snap("a2", "2026-01-02T00:00"),
            snap("d1", "2026-01-03T00:00", "dir:/srv/share"),
            snap("d2", "2026-01-01T00:00", "dir:/srv/share"),
        ],
        Policy(keep_last=1),
        "2026-01-04T00:00",
        {"a2": ("last snapshot",), "d1": ("last snapshot",)},
    ),
    (
        "2026-12-31 and 2027-01-01 share ISO week 2026-W53",
        [
            snap("x", "2026-12-27T12:00"),  # Sunday, 2026-W52
            snap("y", "2026-12-31T12:00"),  # Thursday, 2026-W53
            snap("z", "2027-01-01T12:00"),  # Friday, 2026-W53
        ],
        Policy(keep_weekly=2),
        "2027-01-02T00:00",
        {"z": ("weekly snapshot 2026-W53",), "x": ("weekly snapshot 2026-W52",)},
    ),
    (
        "the same three by year: the week spans two calendar years",
        [
            snap("x", "2026-12-27T12:00"),
            snap("y", "2026-12-31T12:00"),
            snap("z", "2027-01-01T12:00"),
        ],
        Policy(keep_weekly=1, keep_yearly=2),
        "2027-01-02T00:00",
        {
            "z": ("weekly snapshot 2026-W53", "yearly snapshot 2027"),
            "y": ("yearly snapshot 2026",),
        },
    ),
    (
        "2027-01-03 is still 2026-W53, 2027-01-04 starts 2027-W01",
        [snap("sun", "2027-01-03T23:00"), snap("mon", "2027-01-04T01:00")],
        Policy(keep_weekly=2),
        "2027-01-05T00:00",
        {"mon": ("weekly snapshot 2027-W01",), "sun": ("weekly snapshot 2026-W53",)},
    ),
    (
        "month end: buckets are UTC months, whatever offset the time was given in",
        [
            snap("m1", "2026-01-31T22:00"),
            # 00:30 on 1 February at +02:00 is 22:30 on 31 January in UTC
            snap("m2", datetime(2026, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))),
            snap("m3", "2026-02-01T00:00"),
        ],
        Policy(keep_monthly=2, keep_daily=1),
        "2026-02-02T00:00",
        {
            "m3": ("daily snapshot 2026-02-01", "monthly snapshot 2026-02"),
            "m2": ("monthly snapshot 2026-01",),
        },
    ),
    (
        "leap day is its own day and belongs to February",
        [
            snap("f28", "2028-02-28T12:00"),
            snap("f29", "2028-02-29T12:00"),
            snap("m01", "2028-03-01T12:00"),
        ],
        Policy(keep_daily=2, keep_monthly=2),
        "2028-03-02T00:00",
        {
            "m01": ("daily snapshot 2028-03-01", "monthly snapshot 2028-03"),
            "f29": ("daily snapshot 2028-02-29", "monthly snapshot 2028-02"),
        },
    ),
    (
        "keep-within 1y from 2029-02-28 reaches back to 2028-02-28 (exclusive)",
        [
            snap("f28", "2028-02-28T12:00"),
            snap("f29", "2028-02-29T12:00"),
            snap("new", "2029-02-28T12:00"),
        ],
        Policy(keep_within=Duration(years=1)),
        "2029-03-01T00:00",
        {"f29": ("within 1y",), "new": ("within 1y",)},
    ),
    (
        "keep-within 3d counts from the newest snapshot; the one exactly 3d older goes",
        [snap(f"d{n:02d}", f"2026-03-{n:02d}T12:00") for n in range(1, 11)],
        Policy(keep_within=Duration(days=3)),
        "2026-03-10T18:00",
        {"d10": ("within 3d",), "d09": ("within 3d",), "d08": ("within 3d",)},
    ),
    (
        "keep-within when backups stopped months ago still keeps the last window",
        [snap(f"d{n:02d}", f"2026-03-{n:02d}T12:00") for n in range(1, 11)],
        Policy(keep_within=Duration(days=3)),
        "2026-09-01T00:00",
        {"d10": ("within 3d",), "d09": ("within 3d",), "d08": ("within 3d",)},
    ),
    (
        "keep-within as an exact timedelta",
        [snap(f"d{n:02d}", f"2026-03-{n:02d}T12:00") for n in range(1, 11)],
        Policy(keep_within=timedelta(hours=60)),
        "2026-03-10T18:00",
        {"d10": ("within 2d12h",), "d09": ("within 2d12h",), "d08": ("within 2d12h",)},
    ),
    (
        "keep-within 1m from 31 March clamps to 28 February",
        [
            snap("a", "2026-02-27T12:00"),
            snap("b", "2026-02-28T12:00"),
            snap("c", "2026-02-28T13:00"),
            snap("d", "2026-03-31T12:00"),
        ],
        Policy(keep_within=Duration(months=1)),
        "2026-04-01T00:00",
        {"c": ("within 1m",), "d": ("within 1m",)},
    ),
    (
        "a future-dated snapshot is kept and does not move the keep-within window",
        [
            snap("d08", "2026-03-08T12:00"),
            snap("d07", "2026-03-07T12:00"),
            snap("d06", "2026-03-06T12:00"),
            snap("future", "2027-01-01T00:00"),
        ],
        Policy(keep_within=Duration(days=1, hours=12)),
        "2026-03-08T18:00",
        {
            "future": ("dated in the future", "within 1d12h"),
            "d08": ("within 1d12h",),
            "d07": ("within 1d12h",),
        },
    ),
    (
        "a future-dated snapshot uses up keep-last like restic",
        [
            snap("p", "2026-05-30T00:00"),
            snap("q", "2026-05-31T00:00"),
            snap("f", "2027-01-01T00:00"),
        ],
        Policy(keep_last=1),
        "2026-06-01T00:00",
        {"f": ("dated in the future", "last snapshot")},
    ),
    (
        "keep-tag keeps tagged snapshots without using up counts",
        [
            snap("t1", "2026-01-01T00:00", tags="archive weekly"),
            snap("t2", "2026-01-02T00:00", tags="other"),
            snap("t3", "2026-01-03T00:00"),
        ],
        Policy(keep_last=1, keep_tags=frozenset({"archive", "weekly"})),
        "2026-01-04T00:00",
        {"t3": ("last snapshot",), "t1": ("tagged archive", "tagged weekly")},
    ),
]


@pytest.mark.parametrize(
    ("snapshots", "policy", "now", "expected"),
    [pytest.param(s, p, n, e, id=name) for name, s, p, n, e in CASES],
)
def test_policy_table(
    snapshots: list[SnapshotRef], policy: Policy, now: str, expected: dict[str, tuple[str, ...]]
) -> None:
    decisions = apply_policy(snapshots, policy, now=at(now))
    assert kept(decisions) == expected
    assert sorted(d.snapshot.id for d in decisions) == sorted(s.id for s in snapshots)
    assert all(d.reasons == () for d in decisions if not d.keep)


def test_decisions_are_grouped_by_resource_newest_first() -> None:
    snapshots = [
        snap("a1", "2026-01-01T00:00"),
        snap("d2", "2026-01-01T00:00", "dir:/srv/share"),
        snap("a2", "2026-01-02T00:00"),
        snap("d1", "2026-01-03T00:00", "dir:/srv/share"),
    ]
    decisions = apply_policy(snapshots, Policy(keep_last=1), now=at("2026-02-01T00:00"))
    assert [d.snapshot.id for d in decisions] == ["d1", "d2", "a2", "a1"]


# --- errors ----------------------------------------------------------------------------------


def test_an_empty_policy_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^no retention rule given: ") as info:
        apply_policy([snap("a", "2026-01-01T00:00")], Policy(), now=at("2026-02-01T00:00"))
    assert info.value.exit_code == ExitCode.INVALID_INPUT
    assert "\n" not in str(info.value)
    with pytest.raises(InvalidInput, match="no retention rule given"):
        apply_policy([], Policy(), now=at("2026-02-01T00:00"))


def test_naive_times_and_duplicate_ids_are_refused() -> None:
    good = snap("a", "2026-01-01T00:00")
    naive = SnapshotRef("n", datetime(2026, 1, 1), R)
    with pytest.raises(InvalidInput, match="snapshot n has no time zone"):
        apply_policy([good, naive], Policy(keep_last=1), now=at("2026-02-01T00:00"))
    with pytest.raises(InvalidInput, match="current time has no time zone"):
        apply_policy([good], Policy(keep_last=1), now=datetime(2026, 2, 1))
    with pytest.raises(InvalidInput, match="snapshot a is listed twice"):
        apply_policy([good, good], Policy(keep_last=1), now=at("2026-02-01T00:00"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"keep_last": -1},
        {"keep_daily": -3},
        {"keep_within": timedelta(0)},
        {"keep_within": "30d"},
        {"keep_tags": frozenset({" "})},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match=r"^invalid retention policy: ") as info:
        Policy(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_policy_from_options() -> None:
    policy = policy_from_options(keep_last=3, keep_daily=7, keep_weekly=4, keep_within="30d")
    assert policy == Policy(keep_last=3, keep_daily=7, keep_weekly=4, keep_within=Duration(days=30))
    assert policy.describe() == "last 3, daily 7, weekly 4, within 30d"
    assert policy_from_options(keep_tags=["legal"]).keep_tags == frozenset({"legal"})
    empty = policy_from_options()
    assert empty.is_empty()
    assert empty.describe() == "no rule"
    with pytest.raises(InvalidInput, match=r"^invalid retention policy: keep-daily is -1; "):
        policy_from_options(keep_daily=-1)
    with pytest.raises(InvalidInput, match=r"^--keep-within: invalid duration '30 days': ") as info:
        policy_from_options(keep_within="30 days")
    assert "\n" not in str(info.value)


def test_describe_and_is_empty() -> None:
    assert Policy(keep_tags=frozenset({"b", "a"})).describe() == "tagged a or b"
    assert not Policy(keep_tags=frozenset({"a"})).is_empty()
    assert not Policy(keep_within=Duration(hours=1)).is_empty()
    assert Policy(keep_within=timedelta(hours=36)).describe() == "within 1d12h"
    assert Policy(keep_within=timedelta(minutes=90)).describe() == "within 1:30:00"
    assert (
        Policy(keep_hourly=24, keep_monthly=6, keep_yearly=2).describe()
        == "hourly 24, monthly 6, yearly 2"
    )


# --- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", Duration(days=30)),
        ("12h", Duration(hours=12)),
        ("2y5m7d3h", Duration(years=2, months=5, days=7, hours=3)),
        (" 1y ", Duration(years=1)),
        ("3h2d", Duration(days=2, hours=3)),
        ("0y1d", Duration(days=1)),
        ("18m", Duration(months=18)),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "  ", "d", "30", "30x", "1w", "-1d", "1.5d", "1D", "30 d", "30min", "0d", "0y0m", "1d1d"],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidInput, match=f"^invalid duration {text!r}: ") as info:
        parse_duration(text)
    assert "\n" not in str(info.value)


def test_duration_round_trips_through_str() -> None:
    assert str(Duration(years=2, months=5, days=7, hours=3)) == "2y5m7d3h"
    assert str(parse_duration("3h1y")) == "1y3h"


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        ("2026-03-31T12:00", "1m", "2026-02-28T12:00"),
        ("2028-03-31T12:00", "1m", "2028-02-29T12:00"),
        ("2028-02-29T06:00", "1y", "2027-02-28T06:00"),
        ("2026-01-15T00:00", "1y13m", "2023-12-15T00:00"),  # 25 months back
        ("2026-03-10T12:00", "2d3h", "2026-03-08T09:00"),
        ("2026-03-01T01:00", "1m1d2h", "2026-01-30T23:00"),  # 02-01T01, 01-31T01, then -2h
    ],
)
def test_duration_goes_back_by_the_calendar(start: str, text: str, expected: str) -> None:
    assert parse_duration(text).before(at(start)) == at(expected)


def test_a_duration_longer_than_history_keeps_everything() -> None:
    assert parse_duration("9999y").before(at("2026-01-01T00:00")) is None
    assert Duration(days=10**12).before(at("2026-01-01T00:00")) is None
    snapshots = [snap("a", "2026-01-01T00:00"), snap("b", "0001-01-02T00:00")]
    result = kept(
        apply_policy(
            snapshots, Policy(keep_within=Duration(years=5000)), now=at("2026-02-01T00:00")
        )
    )
    assert result == {"a": ("within 5000y",), "b": ("within 5000y",)}


# --- properties --------------------------------------------------------------------------------

BASE = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 2 * 366 * 24 * 60
RESOURCES = ("mailbox:alice@contoso.com", "dir:/srv/share", "site:hr")
TAGS = ("a", "b", "c")

snapshot_lists = st.lists(
    st.tuples(
        st.sampled_from(RESOURCES),
        st.one_of(st.integers(0, 3 * 24 * 60), st.integers(0, SPAN_MINUTES)),
        st.booleans(),
        st.frozensets(st.sampled_from(TAGS), max_size=2),
    ),
    max_size=30,
).map(
    lambda rows: [
        SnapshotRef(f"s{i}", BASE + timedelta(minutes=m), res, hold=hold, tags=tags)
        for i, (res, m, hold, tags) in enumerate(rows)
    ]
)
nows = st.integers(0, SPAN_MINUTES).map(lambda m: BASE + timedelta(minutes=m))
durations = (
    st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(0, 40), st.integers(0, 48))
    .filter(any)
    .map(lambda t: Duration(*t))
)
counts = st.integers(0, 4)
policies = st.builds(
    Policy,
    keep_last=counts,
    keep_hourly=counts,
    keep_daily=counts,
    keep_weekly=counts,
    keep_monthly=counts,
    keep_yearly=counts,
    keep_within=st.none() | durations,
    keep_tags=st.frozensets(st.sampled_from(TAGS), max_size=2),
).filter(lambda p: not p.is_empty())

# 60 examples per property keeps the file at about a second of property testing.
COUNT_FIELDS = (
    "keep_last",
    "keep_hourly",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
    "keep_yearly",
)


@settings(max_examples=60)
@given(snapshot_lists, policies, nows)
def test_result_is_a_partition(snapshots: list[SnapshotRef], policy: Policy, now: datetime) -> None:
    decisions = apply_policy(snapshots, policy, now=now)
    assert sorted(d.snapshot.id for d in decisions) == sorted(s.id for s in snapshots)
    assert {d.snapshot for d in decisions} == set(snapshots)
    assert all(d.keep == bool(d.reasons) for d in decisions)


@settings(max_examples=60)
@given(snapshot_lists, policies, nows)
def test_held_and_future_snapshots_are_always_kept(
    snapshots: list[SnapshotRef], policy: Policy, now: datetime
) -> None:
    for d in apply_policy(snapshots, policy, now=now):
        if d.snapshot.hold:
            assert d.keep
            assert "legal hold" in d.reasons
        if d.snapshot.time > now:
            assert d.keep


@settings(max_examples=60)
@given(snapshot_lists, policies, nows)
def test_newest_of_each_resource_is_kept_when_any_count_is_set(
    snapshots: list[SnapshotRef], policy: Policy, now: datetime
) -> None:
    decisions = {d.snapshot.id: d for d in apply_policy(snapshots, policy, now=now)}
    if not any(policy.counts()):
        return
    for resource in {s.resource for s in snapshots}:
        newest = max((s for s in snapshots if s.resource == resource), key=lambda s: (s.time, s.id))
        assert decisions[newest.id].keep


@settings(max_examples=60)
@given(snapshot_lists, policies, nows, st.data())
def test_adding_a_rule_never_removes_a_kept_snapshot(
    snapshots: list[SnapshotRef], policy: Policy, now: datetime, data: st.DataObject
) -> None:
    change = data.draw(st.sampled_from((*COUNT_FIELDS, "keep_within", "keep_tags")))
    if change == "keep_within" and policy.keep_within is None:
        wider = dataclasses.replace(policy, keep_within=data.draw(durations))
    elif change in COUNT_FIELDS:
        more = getattr(policy, change) + data.draw(st.integers(1, 3))
        wider = dataclasses.replace(policy, **{change: more})
    else:
        tag = data.draw(st.sampled_from(TAGS))
        wider = dataclasses.replace(policy, keep_tags=policy.keep_tags | {tag})
    before = {d.snapshot.id for d in apply_policy(snapshots, policy, now=now) if d.keep}
    after = {d.snapshot.id for d in apply_policy(snapshots, wider, now=now) if d.keep}
    assert before <= after


@settings(max_examples=60)
@given(snapshot_lists, policies, nows, st.randoms(use_true_random=False))
def test_input_order_does_not_matter(
    snapshots: list[SnapshotRef], policy: Policy, now: datetime, rng: random.Random
) -> None:
    shuffled = list(snapshots)
    rng.shuffle(shuffled)
    assert apply_policy(shuffled, policy, now=now) == apply_policy(snapshots, policy, now=now)
