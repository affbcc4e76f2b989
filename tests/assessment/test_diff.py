"""What got worse or better between two runs."""

from __future__ import annotations

from remit.assessment.diff import diff_runs
from remit.domain import Finding, Resource, Severity, Status

ADA = Resource("user", "u1", "ada@contoso.com")
BOB = Resource("user", "u2", "bob@contoso.com")


def f(check_id: str, status: Status, *resources: Resource) -> Finding:
    return Finding(
        check_id, "control", check_id.upper(), status, Severity.HIGH, (), "", "", resources
    )


def test_pass_to_fail_is_worse_and_fail_to_pass_is_better() -> None:
    diff = diff_runs(
        [f("a", Status.PASS), f("b", Status.FAIL, ADA), f("c", Status.WARN)],
        [f("a", Status.FAIL, ADA), f("b", Status.PASS), f("c", Status.WARN)],
    )
    assert [(c.check_id, c.before, c.after) for c in diff.worse] == [
        ("a", Status.PASS, Status.FAIL)
    ]
    assert diff.worse[0].added == (ADA,)
    assert [(c.check_id, c.before, c.after) for c in diff.better] == [
        ("b", Status.FAIL, Status.PASS)
    ]
    assert diff.better[0].removed == (ADA,)
    assert diff.other == ()
    assert diff.changed


def test_same_failure_with_more_people_is_worse() -> None:
    diff = diff_runs([f("ga", Status.FAIL, ADA)], [f("ga", Status.FAIL, ADA, BOB)])
    assert [c.added for c in diff.worse] == [(BOB,)]
    fewer = diff_runs([f("ga", Status.FAIL, ADA, BOB)], [f("ga", Status.FAIL, BOB)])
    assert [c.removed for c in fewer.better] == [(ADA,)]


def test_errors_new_and_removed_checks_are_other_changes() -> None:
    diff = diff_runs(
        [f("a", Status.PASS), f("gone", Status.FAIL)],
        [f("a", Status.ERROR), f("new", Status.WARN)],
    )
    assert diff.worse == diff.better == ()
    assert {(c.check_id, c.before, c.after) for c in diff.other} == {
        ("a", Status.PASS, Status.ERROR),
        ("gone", Status.FAIL, None),
        ("new", None, Status.WARN),
    }


def test_identical_runs_have_no_changes() -> None:
    run = [f("a", Status.FAIL, ADA), f("b", Status.MANUAL)]
    assert not diff_runs(run, run).changed
