"""Assess 1,000 emulated tenants (50 ms latency): `remit assess --all` from an empty workspace.

Collects every tenant, evaluates every check of the catalogue on each snapshot and stores each
run with its findings, then prints HTTP requests per tenant, tenants per minute and peak memory.
It is the collection benchmark (benchmarks/collect.py) with `--assess` and these defaults; any of
its options can be given, e.g. `--tenants 200 --concurrency 16,64`.
"""

from __future__ import annotations

import sys

from collect import main  # benchmarks/ is on sys.path when this file is run as a script

DEFAULTS = ["--tenants", "1000", "--concurrency", "64", "--assess"]

if __name__ == "__main__":
    sys.exit(main([*DEFAULTS, *sys.argv[1:]]))
