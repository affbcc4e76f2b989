"""Backup repository benchmark: Remit against restic and borgbackup on one Microsoft 365 corpus.

    .venv/bin/python benchmarks/repository.py [--size-mb 1024] [--seed 1]
        [--tools restic,borg,remit] [--borg-compression auto,zstd,3] [--work DIR] [--json OUT]

Installs restic and borgbackup from Debian's packages when absent, writes a deterministic
corpus (benchmarks/corpus.py), then for each tool in turn on the same tree: a fresh encrypted
repository, a first backup of day 0; then day-1 changes are applied in place and every tool
backs up again; then every tool restores its latest snapshot into an empty folder, which is
checked byte for byte against the day-1 corpus. The page cache is dropped before every
measured command when the benchmark may (root), so every tool reads from disk.

Printed per tool and phase: wall seconds, MiB/s of corpus bytes, CPU (user + system), peak RSS
(GNU time's "Maximum resident set size"), repository size after each backup (apparent and
allocated) and the tool's local cache; then the ratios remit/restic and remit/borg, and the
machine with the tools' versions. Exit code 1 if a restore did not match, 2 if the benchmark
itself could not run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import corpus  # benchmarks/ is on sys.path when this file is run as a script

MIB = 1024 * 1024
TIME = Path("/usr/bin/time")
ALL_TOOLS = ("restic", "borg", "remit")
PACKAGES = {"restic": "restic", "borg": "borgbackup"}
EXIT_RESTORE_MISMATCH = 1
EXIT_BENCHMARK_ERROR = 2


class BenchmarkError(Exception):
    """The benchmark could not run (a tool missing or failing)."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the tools ----------------------------------------------------------------------------------


class Tool:
    """How one backup program is driven; its repository and cache live under the work folder."""

    name = ""

    def __init__(self, work: Path, passphrase: str) -> None:
        self.repo = work / "repos" / self.name
        self.cache = work / "cache" / self.name
        self.passphrase = passphrase
        self.cache.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        return {**os.environ, "XDG_CACHE_HOME": str(self.cache)}

    def init(self) -> list[str]:
        raise NotImplementedError

    def backup(self, tree: Path, day: int) -> list[str]:
        raise NotImplementedError

    def restore(self, target: Path) -> list[str]:
        raise NotImplementedError

    def version(self) -> list[str]:
        raise NotImplementedError

    def restored_root(self, target: Path, tree: Path) -> Path:
        """Where the restored tree is: restic and borg keep the absolute path under the target."""
        for candidate in (target / tree.relative_to(tree.anchor), target / tree.name):
            if candidate.is_dir():
                return candidate
        return target


class Restic(Tool):
    name = "restic"

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "RESTIC_REPOSITORY": str(self.repo),
            "RESTIC_PASSWORD": self.passphrase,
            "RESTIC_CACHE_DIR": str(self.cache),
        }

    def init(self) -> list[str]:
        return ["restic", "init"]  # repository format 2 (compression) is 0.14's default

    def backup(self, tree: Path, day: int) -> list[str]:
        return ["restic", "backup", str(tree)]  # compression "auto": zstd, default level

    def restore(self, target: Path) -> list[str]:
        return ["restic", "restore", "latest", "--target", str(target)]

    def version(self) -> list[str]:
        return ["restic", "version"]


class Borg(Tool):
    name = "borg"

    def __init__(self, work: Path, passphrase: str, compression: str) -> None:
        super().__init__(work, passphrase)
        self.compression = compression
        self.last = ""

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "BORG_REPO": str(self.repo),
            "BORG_PASSPHRASE": self.passphrase,
            "BORG_BASE_DIR": str(self.cache),  # its config, keys' security info and caches
            "BORG_DISPLAY_PASSPHRASE": "no",
        }

    def init(self) -> list[str]:
        return ["borg", "init", "--encryption=repokey-blake2"]

    def backup(self, tree: Path, day: int) -> list[str]:
        self.last = f"day{day}"
        return ["borg", "create", "--compression", self.compression, f"::{self.last}", str(tree)]

    def restore(self, target: Path) -> list[str]:
        return ["borg", "extract", f"::{self.last}"]  # run in the target folder

    def version(self) -> list[str]:
        return ["borg", "--version"]


class Remit(Tool):
    name = "remit"
    exe = str(Path(sys.executable).parent / "remit")

    def env(self) -> dict[str, str]:
        return {  # the environment, not -r: it works wherever the CLI puts the option
            **super().env(),
            "REMIT_REPOSITORY": str(self.repo),
            "REMIT_PASSWORD": self.passphrase,
            "REMIT_CACHE_DIR": str(self.cache),
        }

    def init(self) -> list[str]:
        return [self.exe, "repo", "init"]

    def backup(self, tree: Path, day: int) -> list[str]:
        return [self.exe, "repo", "backup-dir", str(tree), "--json"]

    def restore(self, target: Path) -> list[str]:
        return [self.exe, "repo", "restore-dir", "latest", str(target)]

    def stats(self) -> list[str]:
        return [self.exe, "repo", "stats", "--json"]

    def version(self) -> list[str]:
        return [self.exe, "--version"]


def apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def install() -> bool:
        command = ["apt-get", "install", "-y", "-q", *packages]
        return subprocess.run(command, env=env, stdout=sys.stderr, check=False).returncode == 0

    progress(f"installing {' '.join(packages)} from Debian's packages (apt-get install)")
    if not install():
        progress("apt-get install failed: running apt-get update, then installing again")
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=sys.stderr, check=False)
        if not install():
            raise BenchmarkError(f"apt-get install {' '.join(packages)} failed; see above")


def ensure_tools(tools: list[str]) -> None:
    """restic, borg and GNU time on PATH (installed with apt-get when absent); remit's CLI works."""
    missing = [PACKAGES[t] for t in tools if t in PACKAGES and shutil.which(t) is None]
    if not TIME.exists():
        missing.append("time")
    if missing:
        if shutil.which("apt-get") is None:
            raise BenchmarkError(f"{', '.join(missing)} missing and no apt-get to install them")
        apt_install(missing)
    else:
        progress("restic, borg and /usr/bin/time are already installed")
    for tool in tools:
        if tool in PACKAGES and shutil.which(tool) is None:
            raise BenchmarkError(f"{tool} is still not on PATH after installing {PACKAGES[tool]}")
    if "remit" in tools:
        check = subprocess.run(
            [Remit.exe, "repo", "--help"], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise BenchmarkError(
                f"`{Remit.exe} repo` does not work (exit {check.returncode}): the repository "
                "CLI is missing; run with --tools restic,borg"
            )
        # An installed package ships its bytecode; an editable checkout (with
        # PYTHONDONTWRITEBYTECODE set, as on these machines) would compile every module on
        # every run. Compile once so remit starts as an installed remit does.
        import remit

        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(Path(remit.__file__).parent)],
            check=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        )


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Run:
    """One measured command."""

    tool: str
    phase: str  # init, backup 1, backup 2, restore
    wall_seconds: float
    cpu_seconds: float  # user + system, from GNU time
    peak_rss_kib: int
    corpus_bytes: int  # the tree the phase works on
    other_cpu_seconds: float | None = None  # the rest of the machine meanwhile: noise
    repo_apparent: int | None = None
    repo_allocated: int | None = None
    cache_allocated: int | None = None
    verified: bool | None = None
    mismatches: int | None = None

    @property
    def mib_per_second(self) -> float:
        return self.corpus_bytes / MIB / self.wall_seconds


def drop_caches() -> bool:
    """Write dirty pages and drop the page cache (root only); False when not allowed."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def machine_busy() -> float | None:
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def time_figures(path: Path) -> dict[str, float]:
    """User and system seconds and peak RSS (KiB) from `/usr/bin/time -v`'s report."""
    wanted = {
        "User time (seconds)": "user",
        "System time (seconds)": "system",
        "Maximum resident set size (kbytes)": "rss",
    }
    figures: dict[str, float] = {}
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key in wanted:
            figures[wanted[key]] = float(value)
    return figures


def run(
    tool: Tool, phase: str, argv: list[str], logs: Path, corpus_bytes: int, cwd: Path | None = None
) -> Run:
    """Run one command under GNU time with a cold page cache; raise if it fails."""
    label = f"{tool.name}-{phase.replace(' ', '')}"
    report, out, err = (logs / f"{label}.{ext}" for ext in ("time", "out", "err"))
    drop_caches()
    busy = machine_busy()
    started = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        done = subprocess.run(
            [str(TIME), "-v", "-o", str(report), *argv],
            env=tool.env(),
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    wall = time.perf_counter() - started
    busy_after = machine_busy()
    if done.returncode != 0:
        raise BenchmarkError(
            f"{tool.name} {phase} failed (exit {done.returncode}): {' '.join(argv)}; "
            f"stderr: {tail(err)}"
        )
    figures = time_figures(report)
    cpu = figures.get("user", 0.0) + figures.get("system", 0.0)
    other = None if busy is None or busy_after is None else max(0.0, busy_after - busy - cpu)
    return Run(tool.name, phase, wall, cpu, int(figures.get("rss", 0)), corpus_bytes, other)


def tail(path: Path, lines: int = 3) -> str:
    text = path.read_text(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(empty)"


def disk_usage(root: Path) -> tuple[int, int]:
    """Apparent bytes and allocated bytes (st_blocks) of every file under ``root``."""
    apparent = allocated = 0
    for path in corpus.walk(root):
        st = path.lstat()
        apparent += st.st_size
        allocated += st.st_blocks * 512
    return apparent, allocated


def manifest(root: Path) -> dict[str, tuple[int, str]]:
    """Relative path -> (size, BLAKE2b) of every file under ``root``."""
    out = {}
    for path in corpus.walk(root):
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "blake2b").hexdigest()
        out[path.relative_to(root).as_posix()] = (path.stat().st_size, digest)
    return out


def mismatches(expected: dict[str, tuple[int, str]], root: Path) -> int:
    """Files missing, extra or different in the restored tree."""
    actual = manifest(root) if root.is_dir() else {}
    return len(expected.keys() ^ actual.keys()) + sum(
        1 for k in expected.keys() & actual.keys() if expected[k] != actual[k]
    )


# --- the benchmark ------------------------------------------------------------------------------


def make_tools(names: list[str], work: Path, compression: str) -> list[Tool]:
    passphrase = secrets.token_hex(16)  # the same for every tool; kept with --work
    secret = work / "passphrase"
    secret.touch(mode=0o600)
    secret.write_text(passphrase + "\n")
    made: dict[str, Callable[[], Tool]] = {
        "restic": lambda: Restic(work, passphrase),
        "borg": lambda: Borg(work, passphrase, compression),
        "remit": lambda: Remit(work, passphrase),
    }
    return [made[name]() for name in names]


def measure_backup(tool: Tool, phase: str, tree: Path, day: int, logs: Path, size: int) -> Run:
    progress(f"{tool.name}: {phase} …")
    result = run(tool, phase, tool.backup(tree, day), logs, size)
    result.repo_apparent, result.repo_allocated = disk_usage(tool.repo)
    result.cache_allocated = disk_usage(tool.cache)[1]
    progress(f"  {result.wall_seconds:.1f} s, repository {result.repo_allocated / MIB:.1f} MiB")
    return result


def benchmark(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    started = datetime.now(UTC)
    tree, logs = work / "corpus", work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    tools = make_tools(args.tools, work, args.borg_compression)
    versions = {t.name: version_of(t) for t in tools}
    dropped = drop_caches()
    progress(f"page cache dropped before each command: {'yes' if dropped else 'no (warm)'}")
    progress(f"writing a {args.size_mb} MiB corpus (seed {args.seed}) into {tree} …")
    day0 = corpus.generate(tree, size_mb=args.size_mb, seed=args.seed, day=0)
    corpus.print_summary(day0, 0, progress)
    runs: list[Run] = []
    remit_stats: dict[str, Any] = {}
    for tool in tools:
        runs.append(run(tool, "init", tool.init(), logs, 0))
        runs.append(measure_backup(tool, "backup 1", tree, 0, logs, day0.total_bytes))
        if isinstance(tool, Remit):
            remit_stats["backup 1"] = json_output(tool, tool.stats())
    progress("applying a day of changes …")
    day1 = corpus.generate(tree, size_mb=args.size_mb, seed=args.seed, day=1)
    corpus.print_summary(day1, 1, progress)
    expected = manifest(tree)
    for tool in tools:
        runs.append(measure_backup(tool, "backup 2", tree, 1, logs, day1.total_bytes))
        if isinstance(tool, Remit):
            remit_stats["backup 2"] = json_output(tool, tool.stats())
    for tool in tools:
        target = work / "restore" / tool.name
        target.mkdir(parents=True)
        progress(f"{tool.name}: restore …")
        result = run(tool, "restore", tool.restore(target), logs, day1.total_bytes, cwd=target)
        result.mismatches = mismatches(expected, tool.restored_root(target, tree))
        result.verified = result.mismatches == 0
        progress(f"  {result.wall_seconds:.1f} s, identical: {result.verified}")
        shutil.rmtree(target)  # the disk holds one restore at a time
        runs.append(result)
    return {
        "command": " ".join([sys.executable, *sys.argv]),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions,
        "page_cache_dropped": dropped,
        "borg_compression": args.borg_compression,
        "corpus": {
            "size_mb": args.size_mb,
            "seed": args.seed,
            "day0": asdict(day0),
            "day1": asdict(day1),
        },
        "runs": runs,
        "remit_stats": remit_stats,
    }


def version_of(tool: Tool) -> str:
    done = subprocess.run(tool.version(), capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def json_output(tool: Tool, argv: list[str]) -> Any:
    done = subprocess.run(argv, env=tool.env(), capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"exit": done.returncode, "stdout": done.stdout[-2000:], "stderr": done.stderr}


def machine() -> dict[str, Any]:
    model, mem_kib = platform.processor() or "unknown", 0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "ram_gib": round(mem_kib / MIB, 1),
        "platform": platform.platform(),
    }


# --- reporting ----------------------------------------------------------------------------------


def mib(value: int | None) -> str:
    return "" if value is None else f"{value / MIB:.1f}"


def table(runs: list[Run]) -> list[str]:
    lines = [
        "| phase | tool | wall s | MiB/s | CPU s | CPU/wall | peak RSS MiB | repo MiB "
        "(apparent / allocated) | cache MiB | restore identical | other CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        if r.phase == "init":
            continue
        repo = (
            "" if r.repo_apparent is None else f"{mib(r.repo_apparent)} / {mib(r.repo_allocated)}"
        )
        other = "" if r.other_cpu_seconds is None else f"{r.other_cpu_seconds:.1f}"
        verified = "" if r.verified is None else ("yes" if r.verified else f"NO ({r.mismatches})")
        lines.append(
            f"| {r.phase} | {r.tool} | {r.wall_seconds:.1f} | {r.mib_per_second:.1f} | "
            f"{r.cpu_seconds:.1f} | {r.cpu_seconds / r.wall_seconds:.2f} | "
            f"{r.peak_rss_kib / 1024:.0f} | {repo} | {mib(r.cache_allocated)} | {verified} | "
            f"{other} |"
        )
    return lines


def ratios(runs: list[Run]) -> list[str]:
    """remit/restic and remit/borg per phase: speed >1 = remit faster; size <1 = remit smaller."""
    by = {(r.tool, r.phase): r for r in runs}
    out = []
    for other in ("restic", "borg"):
        for phase in ("backup 1", "backup 2", "restore"):
            mine, theirs = by.get(("remit", phase)), by.get((other, phase))
            if mine is None or theirs is None:
                continue
            speed = mine.mib_per_second / theirs.mib_per_second
            text = (
                f"remit/{other} {phase}: throughput x{speed:.2f}"
                f", CPU x{mine.cpu_seconds / theirs.cpu_seconds:.2f}"
                f", peak RSS x{mine.peak_rss_kib / theirs.peak_rss_kib:.2f}"
            )
            if mine.repo_allocated and theirs.repo_allocated:
                # Three decimals: the aim (at most x0.8) is close enough to matter.
                text += f", repository size x{mine.repo_allocated / theirs.repo_allocated:.3f}"
            out.append(text)
    return out


def growth(runs: list[Run]) -> list[str]:
    by = {(r.tool, r.phase): r for r in runs}
    out = []
    for tool in dict.fromkeys(r.tool for r in runs):
        first, second = by.get((tool, "backup 1")), by.get((tool, "backup 2"))
        if first and second and first.repo_allocated is not None and second.repo_allocated:
            added = second.repo_allocated - first.repo_allocated
            out.append(f"{tool}: backup 2 added {added / MIB:.1f} MiB to the repository")
    return out


def print_report(result: dict[str, Any]) -> None:
    m, c = result["machine"], result["corpus"]
    print(f"command: {result['command']}")
    print(f"date:    {result['date']}")
    print(f"machine: {m['cpus']} CPUs, {m['cpu_model']}, {m['ram_gib']} GiB RAM, {m['platform']}")
    print("tools:   " + "; ".join(f"{k}: {v}" for k, v in result["versions"].items()))
    print(f"borg compression: {result['borg_compression']}")
    cache = "dropped before every command" if result["page_cache_dropped"] else "warm (not root)"
    print(f"page cache: {cache}")
    for day in ("day0", "day1"):
        s = c[day]
        print(
            f"corpus {day}: {sum(s['files'].values())} files, {sum(s['bytes'].values()) / MIB:.1f}"
            " MiB (" + ", ".join(f"{k} {v / MIB:.0f}" for k, v in s["bytes"].items()) + ")"
        )
    print("day-1 changes: " + corpus.changes_text(c["day1"]["changes"]))
    print()
    for line in table(result["runs"]):
        print(line)
    print()
    for line in growth(result["runs"]) + ratios(result["runs"]):
        print(line)


def to_json(result: dict[str, Any]) -> str:
    runs = [{**asdict(r), "mib_per_second": r.mib_per_second} for r in result["runs"]]
    return json.dumps({**result, "runs": runs, "ratios": ratios(result["runs"])}, indent=2)


# --- command line -------------------------------------------------------------------------------


def tool_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or any(n not in ALL_TOOLS for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: give some of {','.join(ALL_TOOLS)}")
    return names


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="corpus size in MiB (1024)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument(
        "--tools", type=tool_list, default=list(ALL_TOOLS), help="restic,borg,remit (all)"
    )
    parser.add_argument(
        "--borg-compression", default="auto,zstd,3", help="borg create --compression (auto,zstd,3)"
    )
    parser.add_argument(
        "--work", type=Path, help="work folder, kept afterwards (default: a temporary folder)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.size_mb < 10:
        parser.error("--size-mb must be at least 10")
    if args.work is not None and args.work.exists() and any(args.work.iterdir()):
        parser.error(f"--work {args.work} is not empty")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        ensure_tools(args.tools)
        if args.work is not None:
            args.work.mkdir(parents=True, exist_ok=True)
            result = benchmark(args, args.work.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="remit-repo-bench-", dir="/tmp") as tmp:
                result = benchmark(args, Path(tmp))
    except (BenchmarkError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BENCHMARK_ERROR
    print_report(result)
    if args.json is not None:
        args.json.write_text(to_json(result) + "\n")
    return 0 if all(r.verified is not False for r in result["runs"]) else EXIT_RESTORE_MISMATCH


if __name__ == "__main__":
    sys.exit(main())
