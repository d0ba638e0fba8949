"""The measurements, each beside its baseline in the same run (Django must be set up).

* ``measure_series``: the region's series of one indicator, total and by race/ethnicity, rolled up
  from every neighborhood over 120 months, through ``selectors.series`` (what the indicator page
  calls, once per group) — against one hand-written ``GROUP BY``. Both must give the same numbers.
* ``measure_import``: a tidy CSV through the real import path (``imports.import_observations``:
  checks, audit, all or nothing) — against a raw bulk insert of the same rows into the same table
  with the driver alone. Run it in a process of its own (``python -m bench.measure import``) to
  read the import's peak memory.
* ``measure_pages``: pages under concurrent load (``bench.load``) against a running server.
* ``measure_freshness``: from approving a partner's report (``submission_approve``) to the series
  (the API, or the selector in-process) showing the approved figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import peak_mb, rss_mb, summary

# --- Series ---------------------------------------------------------------------------------

HAND_SQL = """
WITH RECURSIVE tree(id) AS (
    SELECT id FROM measurement_place WHERE id = %s
    UNION ALL
    SELECT p.id FROM measurement_place p JOIN tree t ON p.parent_id = t.id
)
SELECT o.period_id, o.breakdown_id, SUM(o.value), SUM(o.numerator), SUM(o.denominator), COUNT(*)
FROM measurement_observation o JOIN tree t ON o.place_id = t.id
WHERE o.indicator_id = %s AND o.status = 'approved' AND o.breakdown_id IN ({breakdowns})
GROUP BY o.period_id, o.breakdown_id
"""

Figure = tuple[Decimal | None, Decimal | None, Decimal | None, int]  # value, num, den, reports


def hand_series(indicator, place, breakdowns: Sequence) -> dict[tuple[int, int], Figure]:
    """The same question in one SQL query: sums per period and breakdown over the place's
    subtree (only leaves hold figures in the generated network, so this equals the roll-up)."""
    from django.db import connection

    sql = HAND_SQL.format(breakdowns=", ".join("%s" for _b in breakdowns))
    with connection.cursor() as cursor:
        cursor.execute(sql, [place.pk, indicator.pk, *[b.pk for b in breakdowns]])
        found = cursor.fetchall()
    base = Decimal(indicator.rate_base)
    out: dict[tuple[int, int], Figure] = {}
    for period_id, breakdown_id, value, num, den, count in found:
        if indicator.aggregation == "ratio":
            num, den = _decimal(num), _decimal(den)
            value = num / den * base if den else None
            out[(period_id, breakdown_id)] = (value, num, den, count)
        else:
            out[(period_id, breakdown_id)] = (_decimal(value), None, None, count)
    return out


def _decimal(x: object) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def app_series(indicator, place, breakdowns: Sequence) -> dict[tuple[int, int], Figure]:
    """What the application computes: ``selectors.series`` once per breakdown."""
    from backbone.measurement.selectors import series

    out: dict[tuple[int, int], Figure] = {}
    for breakdown in breakdowns:
        for point in series(indicator, place, breakdown):
            a = point.aggregate
            out[(point.period.pk, breakdown.pk)] = (a.value, a.numerator, a.denominator, a.reports)
    return out


def differences(app: dict, hand: dict, places: int = 6) -> list[str]:
    """Where the two disagree (values compared to ``places`` decimals)."""
    problems = []
    if set(app) != set(hand):
        problems.append(f"keys differ: {len(set(app) ^ set(hand))} (period, breakdown) pairs")
    q = Decimal(1).scaleb(-places)
    for key in sorted(set(app) & set(hand)):
        a, h = app[key], hand[key]
        for name, x, y in zip(("value", "numerator", "denominator", "reports"), a, h, strict=True):
            if (x is None) != (y is None) or (
                x is not None and Decimal(x).quantize(q) != Decimal(y).quantize(q)
            ):
                problems.append(f"{key} {name}: app {x} ≠ SQL {y}")
    return problems


def _timed(call: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    for _n in range(warmup):
        call()
    out = []
    for _n in range(repeats):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure_series(net, indicator_index: int = 0, repeats: int = 10) -> dict[str, object]:
    """Latency of the region's series (total + 7 race groups) in the app vs hand SQL."""
    from django.contrib.auth.models import AnonymousUser

    from backbone.measurement.publishing import published_series

    indicator = net.indicators[indicator_index]
    breakdowns = [net.total, *net.race_breakdowns]
    app = app_series(indicator, net.region, breakdowns)
    hand = hand_series(indicator, net.region, breakdowns)
    problems = differences(app, hand)
    anonymous = AnonymousUser()
    app_ms = _timed(lambda: app_series(indicator, net.region, breakdowns), repeats)
    hand_ms = _timed(lambda: hand_series(indicator, net.region, breakdowns), repeats)
    page_ms = _timed(
        lambda: list(published_series(anonymous, indicator, net.region, net.race)), repeats
    )
    total_ms = _timed(lambda: app_series(indicator, net.region, [net.total]), repeats)
    rows = sum(f[3] for f in hand.values())
    return {
        "indicator": indicator.code,
        "aggregation": indicator.aggregation,
        "periods": len({k[0] for k in hand}),
        "points": len(hand),
        "rows_read": rows,
        "same_numbers": not problems,
        "problems": problems[:10],
        "app_ms": summary(app_ms),
        "hand_ms": summary(hand_ms),
        "published_ms": summary(page_ms),
        "total_only_ms": summary(total_ms),
        "ratio_p95": summary(app_ms)["p95"] / summary(hand_ms)["p95"],
        "ratio_p50": summary(app_ms)["p50"] / summary(hand_ms)["p50"],
    }


def explain_series(net, indicator_index: int = 0) -> str:
    """The database's plan for the query ``selectors.series`` sends (PostgreSQL: with timings)."""
    from django.db import connection

    from backbone.measurement.models import Observation
    from backbone.measurement.selectors import _subtree

    indicator = net.indicators[indicator_index]
    ids, _children = _subtree(net.region)
    query = Observation.objects.filter(
        indicator=indicator, breakdown=net.total, place_id__in=ids, status__in=("approved",)
    ).values_list("period_id", "place_id", "value", "numerator", "denominator")
    sql, params = query.query.sql_with_params()
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        lines = [" | ".join(str(c) for c in row) for row in cursor.fetchall()]
    return "\n".join(lines)


# --- Import ---------------------------------------------------------------------------------

IMPORT_INDICATORS = 10
IMPORT_MONTHS = 120
IMPORT_GROUPS = ["aian", "asian", "black", "hispanic", "nhpi", "white", "multi"]


def write_import_csv(path: Path, rows: int, seed: int = 20261124) -> int:
    """A tidy CSV of about ``rows`` rows: indicators × places × months × (total + 7 race groups
    that add up to it). Returns the number of places it uses."""
    import random

    per_place = IMPORT_INDICATORS * IMPORT_MONTHS * (1 + len(IMPORT_GROUPS))
    places = max(1, rows // per_place)
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["indicator", "place", "period", "value", "race"])
        written = 0
        for p in range(places):
            for i in range(IMPORT_INDICATORS):
                for m in range(IMPORT_MONTHS):
                    period = f"{2015 + m // 12}-{m % 12 + 1:02d}"
                    parts = [rng.randint(0, 500) for _g in IMPORT_GROUPS]
                    out.writerow([f"imp-{i}", f"P{p:04d}", period, sum(parts), ""])
                    out.writerows(
                        [f"imp-{i}", f"P{p:04d}", period, v, g]
                        for g, v in zip(IMPORT_GROUPS, parts, strict=True)
                    )
                    written += 1 + len(IMPORT_GROUPS)
                    if written >= rows:
                        return places
    return places


def _import_metadata(slug: str, places: int):
    from django.db import transaction

    from backbone.core.models import Initiative
    from backbone.core.permissions import COMMAND_LINE
    from backbone.measurement.library import indicator_create, place_create
    from backbone.measurement.services import dimension_define

    with transaction.atomic():
        initiative = Initiative.objects.create(slug=slug, name=f"Import benchmark {slug}")
        race = dimension_define(
            initiative=initiative,
            code="race",
            name="Race/ethnicity",
            members=[(g, g) for g in IMPORT_GROUPS],
        )
        root = place_create(
            actor=COMMAND_LINE, initiative=initiative, code="ROOT", name="Root", level="region"
        )
        for p in range(places):
            place_create(
                actor=COMMAND_LINE,
                initiative=initiative,
                code=f"P{p:04d}",
                name=f"Place {p:04d}",
                level="neighborhood",
                parent=root,
            )
        for i in range(IMPORT_INDICATORS):
            indicator_create(
                actor=COMMAND_LINE,
                initiative=initiative,
                data={
                    "code": f"imp-{i}",
                    "name": f"Imported count {i}",
                    "unit": "count",
                    "direction": "down",
                    "level": "population",
                    "aggregation": "sum",
                    "period_type": "month",
                },
                dimensions=[race],
            )
    return initiative


def _delete_rows(initiative) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM measurement_observationchange WHERE observation_id IN ("
            " SELECT o.id FROM measurement_observation o JOIN measurement_indicator i"
            " ON o.indicator_id = i.id WHERE i.initiative_id = %s)",
            [initiative.pk],
        )
        cursor.execute(
            "DELETE FROM measurement_observation WHERE indicator_id IN ("
            " SELECT id FROM measurement_indicator WHERE initiative_id = %s)",
            [initiative.pk],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE measurement_observation")
            cursor.execute("VACUUM ANALYZE measurement_observationchange")


def raw_rows(path: Path, initiative) -> Iterator[tuple]:
    """The CSV's rows as rows of ``generate.COLUMNS``, codes looked up once in dictionaries.

    The lookups run now, before any row is read: the rows are consumed inside ``COPY``, when the
    connection can run no other query."""
    from backbone.measurement.models import Breakdown, Indicator, Period, Place

    indicators = dict(Indicator.objects.filter(initiative=initiative).values_list("code", "pk"))
    places = dict(Place.objects.filter(initiative=initiative).values_list("code", "pk"))
    breakdowns = dict(Breakdown.objects.filter(initiative=initiative).values_list("key", "pk"))
    periods = dict(Period.objects.filter(type="month").values_list("code", "pk"))
    stamp = datetime.now(UTC)

    def read() -> Iterator[tuple]:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            for indicator, place, period, value, race in reader:
                breakdown = breakdowns[f"race:{race}" if race else ""]
                yield (
                    indicators[indicator],
                    places[place],
                    periods[period],
                    breakdown,
                    None,
                    value,
                    None,
                    None,
                    "",
                    "approved",
                    "",
                    1,
                    stamp,
                )

    return read()


def measure_import(rows: int, *, slug: str = "bench-import", keep: bool = False) -> dict:
    """Import ``rows`` rows through the real path, then insert the same rows raw; time both."""
    from backbone.core.permissions import COMMAND_LINE
    from backbone.measurement.imports import import_observations
    from backbone.measurement.models import Breakdown
    from backbone.measurement.services import breakdown_for, period_for
    from bench.generate import bulk_insert

    work = Path(tempfile.mkdtemp(prefix="backbone-bench-"))
    source = work / "import.csv"
    places = write_import_csv(source, rows)
    initiative = _import_metadata(slug, places)
    for m in range(IMPORT_MONTHS):
        period_for(f"{2015 + m // 12}-{m % 12 + 1:02d}")
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
    import_s = time.perf_counter() - started
    peak = peak_mb()
    if not report.saved:
        raise RuntimeError(report.summary() + " " + str(list(report.problems[:5])))
    # The race breakdowns exist now (the import made them); the raw insert reuses them.
    breakdown_for(initiative, {})
    assert Breakdown.objects.filter(initiative=initiative).count() == 1 + len(IMPORT_GROUPS)
    _delete_rows(initiative)
    started = time.perf_counter()
    inserted = bulk_insert(raw_rows(source, initiative), fast_load=False, analyze=False)
    raw_s = time.perf_counter() - started
    if not keep:
        _delete_rows(initiative)
    size_mb = source.stat().st_size / 1e6
    source.unlink()
    imported = report.created
    return {
        "rows": report.rows,
        "created": imported,
        "file_mb": size_mb,
        "import_s": import_s,
        "import_values_per_s": imported / import_s,
        "raw_rows": inserted,
        "raw_s": raw_s,
        "raw_values_per_s": inserted / raw_s,
        "ratio": (imported / import_s) / (inserted / raw_s),
        "rss_before_mb": before,
        "peak_mb": peak,
    }


# --- Pages ----------------------------------------------------------------------------------


def measure_pages(
    base_url: str,
    paths: dict[str, str],
    *,
    concurrency: int = 4,
    requests: int = 2000,
    seconds: float = 20.0,
    timeout: float = 300.0,
) -> dict[str, dict]:
    """Each page under load; first one request alone (its time is the cold figure)."""
    from bench import load

    out: dict[str, dict] = {}
    for name, path in paths.items():
        url = base_url.rstrip("/") + path
        started = time.perf_counter()
        status, body = load.fetch(url, timeout=timeout)
        single = (time.perf_counter() - started) * 1000
        result = load.run(
            url, concurrency=concurrency, requests=requests, seconds=seconds, timeout=timeout
        )
        out[name] = {
            "path": path,
            "single_status": status,
            "single_ms": single,
            "bytes": len(body),
            **result.as_dict(),
        }
    return out


def page_paths(base_url: str | None, slug: str, code: str) -> tuple[dict[str, str], str]:
    """The pages to load; the indicator page if it answers, else the initiative's page (and a
    note that says so). The API series is loaded in either case."""
    from bench import load

    indicator = f"/i/{slug}/indicators/{code}/"
    api = f"/api/v1/initiatives/{slug}/series?" + urlencode(
        {"indicator": code, "place": "R", "by": "race"}
    )
    note = ""
    if base_url is not None:
        status, _body = load.fetch(base_url.rstrip("/") + indicator, timeout=600)
        if status != 200:
            note = f"{indicator} answered {status}; measured /i/{slug}/ instead."
            indicator = f"/i/{slug}/"
    return {
        "indicator page": indicator,
        "dashboard": f"/i/{slug}/results/",
        "API series by race": api,
    }, note


# --- Freshness ------------------------------------------------------------------------------


def measure_freshness(
    net, *, base_url: str | None = None, runs: int = 3, value: int = 1000, first: int = 0
) -> dict[str, object]:
    """Approve one partner's report of one figure; time until the region's series shows it.
    Each run uses a partner of its own (``first`` skips partners used by earlier calls)."""
    from backbone.core.permissions import COMMAND_LINE
    from backbone.measurement.selectors import series
    from backbone.measurement.services import (
        Entry,
        observations_record,
        round_open,
        submission_approve,
        submission_submit,
    )
    from backbone.measurement.validation import Figures
    from bench import load
    from bench.generate import ORGANIZATIONS

    indicator, place, period = net.indicators[0], net.neighborhoods[0], net.periods[-1]
    api = None
    if base_url:
        api = (
            base_url.rstrip("/")
            + f"/api/v1/initiatives/{net.slug}/series?"
            + urlencode({"indicator": indicator.code, "place": net.region.code})
        )

    def region_total() -> Decimal | None:
        for point in series(indicator, net.region, net.total):
            if point.period.pk == period.pk:
                return point.aggregate.value
        return None

    def api_total() -> Decimal | None:
        status, body = load.fetch(api, timeout=600)  # type: ignore[arg-type]
        if status != 200:
            raise RuntimeError(f"API answered {status}")
        for point in json.loads(body)["points"]:
            if point["period"] == period.code and not point["breakdown"]:
                return None if point["value"] is None else Decimal(point["value"])
        return None

    approve_ms, visible_ms, polls = [], [], []
    for k in range(runs):
        # Partners 299, 298 … never report at neighborhood 0 (see generate.partner_of).
        org = net.organizations[ORGANIZATIONS - 1 - first - k]
        reporting = round_open(
            actor=COMMAND_LINE,
            initiative=net.initiative,
            name=f"Freshness check {k + 1}",
            period=period,
            due_on=date(2025, 1, 31),
            indicators=[indicator],
            organizations=[org],
        )
        submission = reporting.submissions.get()
        observations_record(
            actor=COMMAND_LINE,
            initiative=net.initiative,
            entries=[
                Entry(indicator, place, period, net.total, org, Figures(value=Decimal(value)))
            ],
            submission=submission,
        )
        submission = submission_submit(
            actor=COMMAND_LINE, submission=submission, expected_version=submission.version
        )
        before = region_total() or Decimal(0)
        read = api_total if api else region_total
        started = time.perf_counter()
        submission_approve(
            actor=COMMAND_LINE, submission=submission, expected_version=submission.version
        )
        approved = time.perf_counter()
        tries = 0
        while True:
            tries += 1
            shown = read()
            if shown is not None and shown == before + value:
                break
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"not visible after 120 s (shows {shown}, wanted more)")
        done = time.perf_counter()
        approve_ms.append((approved - started) * 1000)
        visible_ms.append((done - started) * 1000)
        polls.append(tries)
    return {
        "through": "API series (HTTP)" if api else "selectors.series (in-process)",
        "approve_ms": summary(approve_ms),
        "visible_ms": summary(visible_ms),
        "reads_needed": polls,
    }


# --- A process of its own for the import (peak memory) --------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["import"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slug", default="bench-import")
    parser.add_argument("--migrate", action="store_true")
    args = parser.parse_args()
    from bench.common import setup_django

    setup_django(args.database_url)
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    print(json.dumps(measure_import(args.rows, slug=args.slug)))


if __name__ == "__main__":
    main()
