"""Server-side request counts per tenant and path template, so tests can assert what was sent."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

UNAUTHENTICATED = "-"


@dataclass
class Counters:
    requests: int = 0
    throttled: int = 0  # 429 answers
    errors: int = 0  # 5xx answers, dropped and truncated responses
    client_errors: int = 0  # other 4xx answers
    bytes: int = 0  # response body bytes

    def add(self, other: Counters) -> None:
        self.requests += other.requests
        self.throttled += other.throttled
        self.errors += other.errors
        self.client_errors += other.client_errors
        self.bytes += other.bytes


class Stats:
    def __init__(self) -> None:
        self._data: dict[str, dict[str, Counters]] = {}
        self._lock = threading.Lock()

    def record(
        self, tenant_id: str, template: str, status: int, nbytes: int, *, transport: bool = False
    ) -> None:
        with self._lock:
            counters = self._data.setdefault(tenant_id, {}).setdefault(template, Counters())
            counters.requests += 1
            counters.bytes += nbytes
            if status == 429:
                counters.throttled += 1
            elif status >= 500 or transport:
                counters.errors += 1
            elif status >= 400:
                counters.client_errors += 1

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            total = Counters()
            tenants: dict[str, Any] = {}
            for tenant_id, per_path in self._data.items():
                tenants[tenant_id] = {path: asdict(c) for path, c in sorted(per_path.items())}
                for counters in per_path.values():
                    total.add(counters)
            return {"tenants": tenants, "total": asdict(total)}
