"""Shared helpers of the benchmark suite: Django set-up, statistics, the machine's description.

Benchmarks are not tests: they measure. ``tests/bench/test_smoke.py`` only checks that every
piece runs at a tiny size and that the series agrees with hand-written SQL.
"""

from __future__ import annotations

import os
import platform
import resource
import secrets
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def throwaway_key() -> str:
    """A random signing key for a benchmark process (nothing it signs outlives the run)."""
    return secrets.token_urlsafe(48)


def bench_env(database_url: str) -> dict[str, str]:
    """Environment of a benchmark process: production settings (DEBUG off, so Django keeps no
    query log), plain HTTP on loopback, the given database."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or throwaway_key(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
    }


def setup_django(database_url: str) -> None:
    """Configure and start Django on ``database_url`` (once per process)."""
    os.environ.update(bench_env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of ``values``: an observed value, never interpolated."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, spread (min–max) and nearest-rank p95/p99 of some runs."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
    }


def machine() -> dict[str, str]:
    """CPU, memory, OS and Python of this machine."""
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as info:
            total_kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        ram = f"{total_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    os_name = platform.platform()
    try:
        with open("/etc/os-release") as release:
            fields = dict(line.rstrip("\n").split("=", 1) for line in release if "=" in line)
        os_name = f"{fields.get('PRETTY_NAME', '').strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    import sqlite3

    import django

    return {
        "cpu": f"{os.cpu_count()} × {model or platform.processor()}",
        "ram": ram,
        "os": os_name,
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def database_version() -> str:
    """The running database's name and version (Django must be set up)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("select sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"
