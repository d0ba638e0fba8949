"""Measure a large tidy import through the real import path: time and peak memory.

    python bench/import_memory.py [--rows 1000000] [--database-url URL]

Writes a deterministic CSV (10 monthly indicators × places × 120 months × total + 7 groups,
the groups adding up to the total), imports it with ``backbone import``'s code path (validation,
audit, all or nothing), and prints rows, seconds, rows per second, the resident memory before
the import and the peak during it. Uses a throwaway SQLite database unless told otherwise.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROUPS = ["aian", "asian", "black", "hispanic", "nhpi", "white", "multi"]
INDICATORS = 10
MONTHS = 120


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, rows: int) -> int:
    per_place = INDICATORS * MONTHS * (1 + len(GROUPS))
    places = max(1, rows // per_place)
    rng = random.Random(20261124)
    written = 0
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["indicator", "place", "period", "value", "race"])
        for p in range(places):
            for i in range(INDICATORS):
                for m in range(MONTHS):
                    period = f"{2015 + m // 12}-{m % 12 + 1:02d}"
                    parts = [rng.randint(0, 500) for _ in GROUPS]
                    out.writerow([f"ind-{i}", f"P{p:04d}", period, sum(parts), ""])
                    for group, value in zip(GROUPS, parts, strict=True):
                        out.writerow([f"ind-{i}", f"P{p:04d}", period, value, group])
                    written += 1 + len(GROUPS)
    return places


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="backbone-bench-"))
    # DEBUG off: with it on, Django keeps the text of recent queries, which is not the import.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backbone.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from backbone.core.models import Initiative
    from backbone.core.permissions import COMMAND_LINE
    from backbone.measurement.imports import import_observations
    from backbone.measurement.models import (
        Aggregation,
        Direction,
        Indicator,
        Level,
        Observation,
        Place,
        Unit,
    )
    from backbone.measurement.periods import PeriodType
    from backbone.measurement.services import dimension_define

    call_command("migrate", verbosity=0)
    source = work / "observations.csv"
    places = write_csv(source, args.rows)
    initiative = Initiative.objects.create(slug="bench", name="Benchmark")
    race = dimension_define(
        initiative=initiative, code="race", name="Race", members=[(g, g) for g in GROUPS]
    )
    root = Place.objects.create(initiative=initiative, code="REGION", name="Region", level="r")
    Place.objects.bulk_create(
        Place(initiative=initiative, code=f"P{p:04d}", name=f"P{p}", level="n", parent=root)
        for p in range(places)
    )
    for i in range(INDICATORS):
        indicator = Indicator.objects.create(
            initiative=initiative,
            code=f"ind-{i}",
            name=f"Indicator {i}",
            unit=Unit.COUNT,
            direction=Direction.LOWER_IS_BETTER,
            level=Level.POPULATION,
            aggregation=Aggregation.SUM,
            period_type=PeriodType.MONTH,
        )
        indicator.dimensions.set([race])
    size_mb = source.stat().st_size / 1e6
    before = rss_mb()
    started = time.perf_counter()
    with source.open("rb") as handle:
        report = import_observations(
            actor=COMMAND_LINE,
            initiative=initiative,
            file=handle,
            filename=source.name,
            dry_run=False,
        )
    seconds = time.perf_counter() - started
    stored = Observation.objects.count()
    print(f"database        {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"file            {report.rows:,} rows, {size_mb:.0f} MB")
    print(f"result          {report.summary()}")
    print(f"stored          {stored:,} observations")
    print(f"time            {seconds:.0f} s ({report.rows / seconds:,.0f} rows/s)")
    print(f"memory          {before:.0f} MB before, peak {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
