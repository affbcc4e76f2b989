"""Alerts: rules, de-duplication, quiet hours, channels and a persistent outbox.

The use case in two steps, so that no alert is lost when a channel is down:

- :func:`dispatch` (sync) evaluates the rules for a batch of :class:`remit.domain.Alert` and
  writes one outbox row per (alert, channel) in one transaction;
- :func:`deliver` (async) sends what is due, retries failures with back-off, and records every
  outcome (the PSA ticket id with the alert).

Channels and rules are managed with :mod:`remit.alerts.manage` (``remit alerts ...``).
"""

from remit.alerts.delivery import DeliveryReport, Outcome, RetryPolicy, deliver
from remit.alerts.outbox import DispatchReport, Queued, dispatch

__all__ = [
    "DeliveryReport",
    "DispatchReport",
    "Outcome",
    "Queued",
    "RetryPolicy",
    "deliver",
    "dispatch",
]
