"""Collection benchmark: N emulated tenants, added latency, several tenant concurrencies in one run.

    .venv/bin/python benchmarks/collect.py [--tenants 200] [--latency-ms 50] [--seed 1]
                                           [--concurrency 16,64] [--json]

The Graph emulator plays Microsoft in its own process (``python -m remit.emulator serve``), with
its throttling model on at real time scale, so it never shares the collector's process or GIL.
Before the first level every tenant's synthetic data is generated (the emulator builds tenants
lazily), so no level pays for it. Each concurrency level then runs in a fresh child process with
a fresh workspace (new database, every tenant added directly through the tenant repository: no
per-tenant credential check, so no extra round trips) and calls ``collect_tenants`` once; the
emulator's throttling buckets and request counters are reset between levels. Peak RSS is
therefore the child's own, per level.

Printed per level: wall time, tenants per minute, HTTP requests per tenant (a ``$batch`` counts
once) and ``$batch`` sub-requests per tenant, 429s and retries (HTTP and sub-requests), collection
statuses, collector peak RSS and CPU, emulator CPU, and the emulator's own request count as a
cross-check; then the ratios of every level to the first. Exit code 1 if any tenant FAILED,
2 if the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from remit.assessment.service import assess_tenants
from remit.config import CollectSettings
from remit.demo import DemoError, prepare_workspace, start_emulator
from remit.domain import AuthKind, CollectionStatus, TenantCredentials
from remit.inventory.service import TenantRef, collect_tenants
from remit.workspace import Workspace

EXIT_FAILED_TENANTS = 1
EXIT_BENCHMARK_ERROR = 2


class BenchmarkError(Exception):
    """The benchmark could not run (emulator or level process failed)."""


# --- what one level measures --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TenantFigures:
    tenant_id: str
    status: str
    http_requests: int  # HTTP exchanges, a $batch once (CollectionReport.http_requests)
    sub_requests: int  # $batch sub-requests, from the stored per-endpoint stats
    throttled: int  # 429 answers, HTTP and sub-requests
    retries: int  # retried attempts, HTTP and sub-requests
    seconds: float
    missing: list[tuple[str, str]] = field(default_factory=list)  # (outcome, snapshot key)
    error: str = ""


@dataclass(frozen=True, slots=True)
class LevelRun:
    """What a level's child process reports (JSON between the processes)."""

    concurrency: int
    setup_seconds: float
    wall_seconds: float
    rss_before_kib: int
    peak_rss_kib: int
    cpu_seconds: float  # collector user + system CPU during the collection
    machine_busy_seconds: float | None  # CPU busy on the whole machine during the collection
    tenants: list[TenantFigures]
    endpoints: dict[str, dict[str, int]]  # endpoint template -> requests/throttled/retries
    assessed: int = 0  # with --assess: tenants whose run was evaluated and stored


@dataclass(frozen=True, slots=True)
class LevelResult:
    run: LevelRun
    emulator_cpu_seconds: float | None
    server: dict[str, Any]  # GET /_emulator/stats after the level

    @property
    def tenants_per_minute(self) -> float:
        return len(self.run.tenants) * 60.0 / self.run.wall_seconds

    def statuses(self) -> Counter[str]:
        return Counter(t.status for t in self.run.tenants)

    def client_attempts(self) -> int:
        return sum(t.http_requests + t.sub_requests for t in self.run.tenants)

    def server_requests(self) -> int:
        return int(self.server["total"]["requests"])


# --- the emulator -------------------------------------------------------------------------------


@dataclass
class Emulator:
    process: subprocess.Popen[str]
    info: dict[str, Any]
    log: Path

    def control(self) -> httpx.Client:
        context = ssl.create_default_context(cafile=self.info["ca_bundle"])
        return httpx.Client(base_url=self.info["url"], verify=context, trust_env=False, timeout=60)

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the emulator process so far (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise BenchmarkError(
                f"the emulator exited (code {self.process.returncode}); see {tail(self.log)}"
            )


def tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return f"{path} (unreadable)"
    return " | ".join(text[-lines:]) or f"{path} (empty)"


@contextmanager
def running_emulator(
    state_dir: Path, tenants: int, seed: int, latency_ms: int
) -> Iterator[Emulator]:
    """The demo's emulator child process, with throttling on at real time scale."""
    extra = ["--latency-ms", str(latency_ms), "--time-scale", "1"]
    try:
        child = start_emulator(state_dir, tenants, seed, extra)
    except DemoError as exc:
        raise BenchmarkError(str(exc)) from None
    try:
        yield Emulator(child.process, child.info, state_dir / "emulator.log")
    finally:
        child.stop()


def warm_up(emulator: Emulator) -> float:
    """Make the emulator generate every tenant's data now, so no level pays for it."""
    started = time.perf_counter()
    with emulator.control() as client:
        for tenant in emulator.info["tenants"]:
            client.get(
                f"/_emulator/tenants/{tenant['tenant_id']}/data/organization"
            ).raise_for_status()
    return time.perf_counter() - started


def reset(emulator: Emulator) -> None:
    with emulator.control() as client:
        client.delete("/_emulator/throttling").raise_for_status()
        client.delete("/_emulator/stats").raise_for_status()


def server_stats(emulator: Emulator) -> dict[str, Any]:
    with emulator.control() as client:
        response = client.get("/_emulator/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats


# --- one level, in its own process -------------------------------------------------------------


def rss_kib() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def machine_busy() -> float | None:
    """CPU seconds the whole machine has been busy (all CPUs; Linux /proc/stat; None elsewhere)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_workspace(
    path: Path, info: dict[str, Any], concurrency: int
) -> tuple[Workspace, list[TenantRef]]:
    """A fresh workspace pointing at the emulator, every tenant added through the repository."""
    workspace = prepare_workspace(path, info)  # the demo's: Graph settings from the emulator
    workspace.update_settings(collect=CollectSettings(tenant_concurrency=concurrency))
    refs: list[TenantRef] = []
    with workspace.session() as session:
        repo = workspace.tenants(session)
        for tenant in info["tenants"]:
            credentials = TenantCredentials(
                tenant["tenant_id"],
                tenant["client_id"],
                AuthKind.CLIENT_SECRET,
                tenant["client_secret"],
            )
            row = repo.add(
                credentials,
                display_name=tenant["display_name"],
                primary_domain=tenant["primary_domain"],
            )
            refs.append(TenantRef(name=row.name, tenant_id=row.tenant_id))
    return workspace, refs


def run_level(
    info: dict[str, Any], workspace_path: Path, concurrency: int, assess: bool = False
) -> LevelRun:
    started = time.perf_counter()
    workspace, refs = make_workspace(workspace_path, info, concurrency)
    setup = time.perf_counter() - started
    with workspace:
        rss_before = rss_kib()
        cpu_before, busy_before = cpu_now(), machine_busy()
        started = time.perf_counter()
        evaluation = 0.0
        if assess:  # `remit assess --all`: collect (no snapshot yet), evaluate, store every run
            assessed = asyncio.run(assess_tenants(workspace, refs, max_age=timedelta(0)))
            reports = [a.collection for a in assessed if a.collection is not None]
            evaluation = sum(1 for a in assessed if a.run_id is not None)
        else:
            reports = asyncio.run(collect_tenants(workspace, refs))
        wall = time.perf_counter() - started
        cpu, busy_after = cpu_now() - cpu_before, machine_busy()
        busy = None if busy_before is None or busy_after is None else busy_after - busy_before
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        figures: list[TenantFigures] = []
        endpoints: dict[str, Counter[str]] = {}
        with workspace.session(write=False) as session:
            for report in reports:
                stats = {}
                if report.snapshot_id is not None:
                    row = workspace.tenants(session).get(report.tenant.tenant_id)
                    stats = workspace.snapshots(session, row).request_stats(report.snapshot_id)
                for template, s in stats.items():
                    counts = endpoints.setdefault(template, Counter())
                    counts.update(requests=s.requests, throttled=s.throttled, retries=s.retries)
                figures.append(
                    TenantFigures(
                        tenant_id=report.tenant.tenant_id,
                        status=report.status.value,
                        http_requests=report.http_requests,
                        # The stored stats merge HTTP requests and sub-requests per endpoint.
                        sub_requests=sum(s.requests for s in stats.values()) - report.http_requests,
                        throttled=sum(s.throttled for s in stats.values()),
                        retries=sum(s.retries for s in stats.values()),
                        seconds=report.seconds,
                        missing=[(m.outcome.value, m.key) for m in report.missing],
                        error=report.error,
                    )
                )
    return LevelRun(
        assessed=int(evaluation),
        concurrency=concurrency,
        setup_seconds=setup,
        wall_seconds=wall,
        rss_before_kib=rss_before,
        peak_rss_kib=peak,
        cpu_seconds=cpu,
        machine_busy_seconds=busy,
        tenants=figures,
        endpoints={k: dict(v) for k, v in sorted(endpoints.items())},
    )


def child_main(job_file: Path) -> int:
    job = json.loads(job_file.read_text())
    run = run_level(
        job["emulator"], Path(job["workspace"]), int(job["concurrency"]), bool(job.get("assess"))
    )
    Path(job["result"]).write_text(json.dumps(asdict(run)))
    return 0


def level_from_json(data: dict[str, Any]) -> LevelRun:
    tenants = [
        TenantFigures(**{**t, "missing": [tuple(m) for m in t["missing"]]})
        for t in data.pop("tenants")
    ]
    return LevelRun(**data, tenants=tenants)


def run_level_in_child(
    emulator: Emulator, folder: Path, concurrency: int, assess: bool = False
) -> LevelRun:
    folder.mkdir()
    job, result = folder / "job.json", folder / "result.json"
    job.write_text(
        json.dumps(
            {
                "emulator": emulator.info,
                "workspace": str(folder / "workspace"),
                "concurrency": concurrency,
                "assess": assess,
                "result": str(result),
            }
        )
    )
    job.chmod(0o600)  # it holds the tenants' client secrets
    # The child's stdout goes to our stderr, so `--json` output stays clean.
    done = subprocess.run(
        [sys.executable, __file__, "--level-job", str(job)], stdout=sys.stderr, check=False
    )
    if done.returncode != 0 or not result.exists():
        raise BenchmarkError(
            f"the level with concurrency {concurrency} failed (exit {done.returncode})"
        )
    return level_from_json(json.loads(result.read_text()))


# --- the whole run --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model, mem_kib = platform.processor() or "unknown", 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    levels: list[LevelResult] = []
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="remit-bench-") as tmp:
        root = Path(tmp)
        progress(f"starting the emulator: {args.tenants} tenants, {args.latency_ms} ms latency")
        with running_emulator(
            root / "emulator", args.tenants, args.seed, args.latency_ms
        ) as emulator:
            warm = warm_up(emulator)
            progress(f"emulator generated every tenant's data in {warm:.1f} s")
            for concurrency in args.concurrency:
                emulator.check_alive()
                reset(emulator)
                cpu_before = emulator.cpu_seconds()
                verb = "assessing" if args.assess else "collecting"
                progress(f"{verb} {args.tenants} tenants, {concurrency} at a time …")
                run = run_level_in_child(
                    emulator, root / f"level-{concurrency}", concurrency, args.assess
                )
                cpu_after = emulator.cpu_seconds()
                emulator.check_alive()
                cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
                levels.append(LevelResult(run, cpu, server_stats(emulator)))
                progress(f"  done in {run.wall_seconds:.1f} s")
    return {
        "command": " ".join([shown_path(sys.executable), *sys.argv]),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "tenants": args.tenants,
        "latency_ms": args.latency_ms,
        "seed": args.seed,
        "warm_up_seconds": warm,
        "levels": levels,
    }


def shown_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- reporting ---------------------------------------------------------------------------------


def per_tenant(values: Sequence[float]) -> tuple[float, float, float]:
    return statistics.fmean(values), statistics.median(values), max(values)


def level_row(level: LevelResult) -> dict[str, str]:
    run = level.run
    http = per_tenant([t.http_requests for t in run.tenants])
    sub = per_tenant([t.sub_requests for t in run.tenants])
    seconds = per_tenant([t.seconds for t in run.tenants])
    statuses = level.statuses()
    emulator_cpu = (
        "n/a" if level.emulator_cpu_seconds is None else f"{level.emulator_cpu_seconds:.1f}"
    )
    return {
        "concurrency": str(run.concurrency),
        "wall s": f"{run.wall_seconds:.1f}",
        "tenants/min": f"{level.tenants_per_minute:.0f}",
        "HTTP req/tenant mean/p50/max": f"{http[0]:.1f} / {http[1]:.0f} / {http[2]:.0f}",
        "sub-req/tenant mean/p50/max": f"{sub[0]:.1f} / {sub[1]:.0f} / {sub[2]:.0f}",
        "tenant s mean/p50/max": f"{seconds[0]:.1f} / {seconds[1]:.1f} / {seconds[2]:.1f}",
        "429s": str(sum(t.throttled for t in run.tenants)),
        "retries": str(sum(t.retries for t in run.tenants)),
        "complete/partial/failed": "/".join(str(statuses[s.value]) for s in CollectionStatus),
        "peak RSS MiB (before)": f"{run.peak_rss_kib / 1024:.0f} ({run.rss_before_kib / 1024:.0f})",
        "collector CPU s": f"{run.cpu_seconds:.1f}",
        "emulator CPU s": emulator_cpu,
        "other processes' CPU s": other_cpu(level),
        "requests client/server": f"{level.client_attempts()} / {level.server_requests()}",
        **({"runs assessed and stored": str(run.assessed)} if run.assessed else {}),
    }


def other_cpu(level: LevelResult) -> str:
    """CPU the rest of the machine used meanwhile: noise (and the benchmark's own parent)."""
    busy, emulator = level.run.machine_busy_seconds, level.emulator_cpu_seconds
    if busy is None or emulator is None:
        return "n/a"
    return f"{max(0.0, busy - level.run.cpu_seconds - emulator):.1f}"


def markdown_table(rows: list[dict[str, str]]) -> str:
    """One column per level, one row per figure (the figures are too many to fit across)."""
    names = list(rows[0])
    lines = ["| " + " | ".join(["", *(f"c={r['concurrency']}" for r in rows)]) + " |"]
    lines.append("|" + "---|" * (len(rows) + 1))
    lines += ["| " + " | ".join([name, *(r[name] for r in rows)]) + " |" for name in names[1:]]
    return "\n".join(lines)


def total_http(run: LevelRun) -> int:
    return sum(t.http_requests for t in run.tenants)


def ratios(levels: list[LevelResult]) -> list[str]:
    base = levels[0]
    out = []
    for level in levels[1:]:
        b, r = base.run, level.run
        out.append(
            f"c={r.concurrency} vs c={b.concurrency}: tenants/min x"
            f"{level.tenants_per_minute / base.tenants_per_minute:.2f}, wall x"
            f"{r.wall_seconds / b.wall_seconds:.2f}, peak RSS x"
            f"{r.peak_rss_kib / b.peak_rss_kib:.2f}, collector CPU x"
            f"{r.cpu_seconds / b.cpu_seconds:.2f}, HTTP requests x"
            f"{total_http(r) / total_http(b):.2f}"
        )
    return out


def missing_reads(level: LevelResult) -> list[str]:
    """Why tenants are partial: tenants per (outcome, snapshot key)."""
    counts = Counter(m for t in level.run.tenants for m in set(t.missing))
    return [f"{n:4d} tenants  {outcome:<20} {key}" for (outcome, key), n in counts.most_common()]


def throttled_endpoints(level: LevelResult) -> list[str]:
    hot = [(k, v) for k, v in level.run.endpoints.items() if v.get("throttled") or v.get("retries")]
    return [
        f"{k}: {v.get('throttled', 0)} x 429, {v.get('retries', 0)} retries "
        f"of {v['requests']} requests"
        for k, v in sorted(hot, key=lambda kv: -kv[1].get("throttled", 0))
    ]


def print_report(result: dict[str, Any]) -> None:
    levels: list[LevelResult] = result["levels"]
    m = result["machine"]
    print(f"command: {result['command']}")
    print(f"date:    {result['date']}")
    print(
        f"machine: {m['cpus']} CPUs, {m['cpu_model']}, {m['ram_gib']} GiB RAM, Python {m['python']}"
    )
    print(
        f"tenants: {result['tenants']} (seed {result['seed']}), added latency "
        f"{result['latency_ms']} ms, throttling on, real time; emulator data generated up front "
        f"in {result['warm_up_seconds']:.1f} s"
    )
    print()
    print(markdown_table([level_row(level) for level in levels]))
    print()
    for line in ratios(levels):
        print(line)
    for level in levels:
        hot = throttled_endpoints(level)
        if hot:
            print(f"\nthrottled or retried endpoints at c={level.run.concurrency}:")
            for line in hot:
                print("  " + line)
        failed = [t for t in level.run.tenants if t.status == CollectionStatus.FAILED.value]
        for tenant in failed:
            print(f"FAILED at c={level.run.concurrency}: {tenant.tenant_id}: {tenant.error}")
    print(f"\nmissing reads (c={levels[0].run.concurrency}; tenants per outcome and snapshot key):")
    for line in missing_reads(levels[0]):
        print("  " + line)
    if any(missing_reads(level) != missing_reads(levels[0]) for level in levels[1:]):
        print("  (other levels differ: run with --json to see each)")


def to_json(result: dict[str, Any]) -> str:
    levels = [
        {**asdict(level.run), "emulator_cpu_seconds": level.emulator_cpu_seconds,
         "server_stats_total": level.server["total"], "summary": level_row(level)}
        for level in result["levels"]
    ]  # fmt: skip
    return json.dumps({**result, "levels": levels}, indent=2)


# --- command line ------------------------------------------------------------------------------


def concurrency_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers separated by commas") from None
    if not values or any(v < 1 or v > 512 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each level must be between 1 and 512")
    return values


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=200, help="emulated tenants (default 200)")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency the emulator adds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic book")
    parser.add_argument(
        "--concurrency",
        type=concurrency_list,
        default=[16, 64],
        help="tenant concurrencies, e.g. 16,64",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--assess",
        action="store_true",
        help="run `remit assess` (collect, evaluate every check, store the run) instead of a "
        "collection only",
    )
    parser.add_argument("--level-job", type=Path, help=argparse.SUPPRESS)  # internal: one level
    args = parser.parse_args(argv)
    if args.tenants < 1 or args.latency_ms < 0:
        parser.error("--tenants must be at least 1 and --latency-ms at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.level_job is not None:
        return child_main(args.level_job)
    try:
        result = benchmark(args)
    except (BenchmarkError, httpx.HTTPError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BENCHMARK_ERROR
    if args.json:
        print(to_json(result))
    else:
        print_report(result)
    failed = any(level.statuses()[CollectionStatus.FAILED.value] for level in result["levels"])
    return EXIT_FAILED_TENANTS if failed else 0


if __name__ == "__main__":
    sys.exit(main())
