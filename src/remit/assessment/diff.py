"""What got worse or better between two assessment runs of a tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from remit.domain import Finding, Resource, Status

# How bad a status is; ERROR, MANUAL and NOT_APPLICABLE say nothing about the configuration.
_RANK = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}


@dataclass(frozen=True, slots=True)
class Change:
    check_id: str
    title: str
    before: Status | None  # None: the check is new
    after: Status | None  # None: the check is gone
    added: tuple[Resource, ...] = ()  # resources now concerned that were not before
    removed: tuple[Resource, ...] = ()


@dataclass(frozen=True, slots=True)
class RunDiff:
    worse: tuple[Change, ...]  # PASS→WARN/FAIL, WARN→FAIL, or the same FAIL with more resources
    better: tuple[Change, ...]  # the reverse
    other: tuple[Change, ...]  # to or from ERROR/MANUAL/NOT_APPLICABLE, new or removed checks

    @property
    def changed(self) -> bool:
        return bool(self.worse or self.better or self.other)


def _resources(finding: Finding | None) -> set[Resource]:
    return set(finding.resources) if finding else set()


def diff_runs(before: Sequence[Finding], after: Sequence[Finding]) -> RunDiff:
    old = {f.check_id: f for f in before}
    new = {f.check_id: f for f in after}
    worse: list[Change] = []
    better: list[Change] = []
    other: list[Change] = []
    for check_id in sorted(old.keys() | new.keys()):
        was, now = old.get(check_id), new.get(check_id)
        reference = now or was
        assert reference is not None  # the key came from one of the two runs
        title = reference.title
        added = tuple(sorted(_resources(now) - _resources(was), key=lambda r: (r.type, r.name)))
        removed = tuple(sorted(_resources(was) - _resources(now), key=lambda r: (r.type, r.name)))
        change = Change(
            check_id,
            title,
            was.status if was else None,
            now.status if now else None,
            added,
            removed,
        )
        if was is None or now is None:
            other.append(change)
            continue
        rank_was, rank_now = _RANK.get(was.status), _RANK.get(now.status)
        if rank_was is None or rank_now is None:
            if was.status is not now.status:
                other.append(change)
            continue
        if rank_now > rank_was:
            worse.append(change)
        elif rank_now < rank_was:
            better.append(change)
        elif now.status is not Status.PASS and (added or removed):
            # Same verdict, different people or policies: more of them is worse.
            (worse if len(added) > len(removed) else better).append(change)
    return RunDiff(tuple(worse), tuple(better), tuple(other))
