"""Monitoring use cases: drift from approved access, change events, and access reviews.

:func:`remit.monitoring.drift.check_drift` judges each tenant's latest snapshot against its
effective control map and records the changes since the previous check;
:func:`remit.monitoring.alerts.alerts_for` turns what it found into :class:`remit.domain.Alert`
objects for :mod:`remit.alerts` to deliver; :mod:`remit.monitoring.reviews` runs access reviews.
"""
