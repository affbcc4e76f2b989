"""A tenant's posture score: how much of what could be evaluated passes, weighted by severity.

score = 100 × Σ weight(passed) / Σ weight(evaluated), where a WARN earns half its weight and
"evaluated" means PASS, WARN or FAIL. ERROR, MANUAL and NOT_APPLICABLE findings are left out of
the score (they say nothing about the tenant's configuration), and ``coverage`` says how much of
the catalogue was evaluated, so a high score on little data is visible as such.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from remit.posture.model import Finding, Severity, Status

WEIGHTS: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


@dataclass(frozen=True, slots=True)
class Score:
    value: float | None  # 0–100, None when nothing could be evaluated
    coverage: float  # share of findings that were evaluated (PASS/WARN/FAIL), 0–1
    counts: dict[str, int]  # findings per status


def score(findings: Iterable[Finding]) -> Score:
    items = list(findings)
    counts = Counter(f.status.value for f in items)
    earned = possible = 0.0
    evaluated = 0
    for finding in items:
        if finding.status not in (Status.PASS, Status.WARN, Status.FAIL):
            continue
        evaluated += 1
        weight = WEIGHTS[finding.severity]
        possible += weight
        if finding.status is Status.PASS:
            earned += weight
        elif finding.status is Status.WARN:
            earned += weight / 2
    return Score(
        value=round(100 * earned / possible, 1) if possible else None,
        coverage=round(evaluated / len(items), 3) if items else 0.0,
        counts={status.value: counts.get(status.value, 0) for status in Status},
    )
