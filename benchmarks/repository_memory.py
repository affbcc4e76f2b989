"""Does the repository's memory stay flat as data grows? Peak RSS of `remit repo backup-dir`
for a small and a 10x larger tree of the same shape, side by side in one run.

    .venv/bin/python benchmarks/repository_memory.py [--small-gb 1] [--factor 10] [--work DIR]

Each tree is made of the same unit, repeated: one 256 MiB incompressible file, 16 files of
16 MiB and 4,096 small files of 4 KiB to 64 KiB (about 550 MiB, deterministic, no two units
alike, so nothing deduplicates across units). Each backup goes into a fresh repository with a
fresh cache; peak memory comes from GNU time. Prints the two peaks and their ratio (1.00 =
flat). Needs about (1 + factor) x small-gb of free disk, twice.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
UNIT_BYTES = 256 * MIB + 16 * 16 * MIB + 4096 * 34 * 1024  # ~ what one unit writes


def write_unit(root: Path, seed: int) -> int:
    rng = random.Random(seed)
    root.mkdir(parents=True)
    written = 0
    block = rng.randbytes(4 * MIB)
    with (root / "recording.mp4").open("wb") as f:
        for i in range(64):  # 256 MiB, each 4 MiB block made unique by its counter and seed
            f.write(i.to_bytes(8, "little") + seed.to_bytes(8, "little") + block[16:])
            written += 4 * MIB
    for i in range(16):
        data = rng.randbytes(16 * MIB)
        (root / f"doc-{i}.bin").write_bytes(data)
        written += len(data)
    small = root / "mail"
    small.mkdir()
    for i in range(4096):
        data = rng.randbytes(rng.randint(4, 64) * 1024)
        (small / f"{i}.eml").write_bytes(data)
        written += len(data)
    return written


def make_tree(root: Path, units: int, seed: int) -> int:
    return sum(write_unit(root / f"unit-{u:03d}", seed * 1000 + u) for u in range(units))


def peak_rss(remit: Path, repo: Path, tree: Path, cache: Path) -> tuple[float, float]:
    env = {
        **os.environ,
        "REMIT_PASSWORD": "memory-benchmark",
        "REMIT_REPOSITORY": str(repo),
        "REMIT_CACHE_DIR": str(cache),
    }
    subprocess.run([str(remit), "repo", "init"], env=env, check=True, capture_output=True)
    started = time.monotonic()
    out = subprocess.run(
        ["/usr/bin/time", "-v", str(remit), "repo", "backup-dir", str(tree)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    if not match:
        raise SystemExit("GNU time printed no peak memory; install Debian's `time` package")
    return int(match.group(1)) / 1024, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-gb", type=float, default=1.0)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    remit = Path(sys.executable).parent / "remit"
    work = args.work or Path(tempfile.mkdtemp(prefix="remit-memory-"))
    units_small = max(1, round(args.small_gb * 1024 * MIB / UNIT_BYTES))
    results = []
    try:
        for label, units in (("small", units_small), ("large", units_small * args.factor)):
            tree = work / f"tree-{label}"
            size = make_tree(tree, units, seed=units)
            rss, wall = peak_rss(remit, work / f"repo-{label}", tree, work / f"cache-{label}")
            results.append((label, size, rss, wall))
            print(
                f"{label}: {size / 1024**3:.2f} GiB in {wall:.1f} s"
                f" ({size / MIB / wall:.0f} MiB/s), peak RSS {rss:.0f} MiB",
                flush=True,
            )
            shutil.rmtree(tree)
            shutil.rmtree(work / f"repo-{label}")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    (_, s_size, s_rss, _), (_, l_size, l_rss, _) = results
    print(f"data x{l_size / s_size:.1f}, peak RSS x{l_rss / s_rss:.2f} (1.00 = flat)")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
