"""``make bench``: the suite on SQLite and PostgreSQL, then ``docs/benchmarks.md``.

    python -m bench.run [--observations 10000000] [--sqlite-observations N]
                        [--import-rows 1000000] [--databases sqlite,postgresql]
                        [--postgres postgres://postgres@127.0.0.1:5432] [--repeats 5]

Each database is made for the run (SQLite: a file under var/bench; PostgreSQL: the database
``backbone_bench``) and dropped after. Raw results go to var/bench/results-<database>.json; the
page is written from them. The hand-written analysis between the ``analysis`` markers of the
existing page is kept.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT

DOC = ROOT / "docs" / "benchmarks.md"
WORK = ROOT / "var" / "bench"
START, END = "<!-- analysis:start -->", "<!-- analysis:end -->"
PG_DB = "backbone_bench"

TARGETS = "import ≥ 100,000 values/s and ≥ 0.3 × raw; peak memory < 300 MB for 1M rows; series p95 < 100 ms and ≤ 1.5 × hand SQL; indicator page ≥ 100 requests/s with p99 < 300 ms; freshness < 1 s"  # noqa: E501


def _pg_admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{base.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run_one(vendor: str, args: argparse.Namespace) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / f"results-{vendor}.json"
    observations = args.observations
    if vendor == "sqlite":
        path = WORK / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        observations = args.sqlite_observations or observations
    else:
        _pg_admin(args.postgres, f"DROP DATABASE IF EXISTS {PG_DB}")
        _pg_admin(args.postgres, f"CREATE DATABASE {PG_DB}")
        url = f"{args.postgres.rstrip('/')}/{PG_DB}"
    try:
        subprocess.run(  # noqa: S603 - our own script
            [
                sys.executable,
                "-m",
                "bench.suite",
                f"--database-url={url}",
                f"--observations={observations}",
                f"--import-rows={args.import_rows}",
                f"--repeats={args.repeats}",
                f"--load-seconds={args.load_seconds}",
                f"--out={out}",
            ],
            cwd=ROOT,
            check=True,
        )
    finally:
        if vendor == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            _pg_admin(args.postgres, f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    return json.loads(out.read_text())


# --- The page -------------------------------------------------------------------------------


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _ms(s: dict, key: str = "median") -> str:
    if not s or not s.get("n"):
        return "—"
    v = s[key]
    return _n(v, 1 if v < 100 else 0)


def _spread(s: dict) -> str:
    if not s or not s.get("n"):
        return "—"
    return f"{_ms(s, 'min')}–{_ms(s, 'max')} (n={s['n']})"


def _short_lists(plan: str) -> str:
    """A plan with its long id lists (the subtree's places) shortened to their length."""
    return re.sub(
        r"'\{(\d+(?:,\d+){9,})\}'", lambda m: f"'{{… {m[1].count(',') + 1} ids …}}'", plan
    )


def _section(name: str, r: dict) -> list[str]:
    g = r["generate"]
    lines = [
        f"## {r['database']}",
        "",
        f"Network: {_n(g['observations'])} observations, generated in {_n(g['rows_s'])} s "
        f"(metadata through the services in {_n(g['metadata_s'], 1)} s).",
        "",
        "| measurement | Backbone | baseline (same run) | ratio |",
        "|---|---|---|---|",
    ]
    imp = r.get("import")
    if imp:
        lines.append(
            f"| import of {_n(imp['rows'])} rows (values/s) | {_n(imp['import_values_per_s'])} "
            f"({_n(imp['import_s'])} s) | raw insert {_n(imp['raw_values_per_s'])} "
            f"({_n(imp['raw_s'], 1)} s) | {imp['ratio']:.3f} × raw |"
        )
        lines.append(
            f"| import peak memory | {_n(imp['peak_mb'])} MB "
            f"(before: {_n(imp['rss_before_mb'])} MB) | | |"
        )
    for s in r.get("series", []):
        what = f"series `{s['indicator']}` ({s['aggregation']}), region, total + 7 groups"
        lines.append(
            f"| {what}, p50 / p95 ms | {_ms(s['app_ms'], 'p50')} / {_ms(s['app_ms'], 'p95')} | "
            f"hand SQL {_ms(s['hand_ms'], 'p50')} / {_ms(s['hand_ms'], 'p95')} | "
            f"{s['ratio_p50']:.1f} / {s['ratio_p95']:.1f} × |"
        )
    for page, p in r.get("pages", {}).items():
        lat = p["latency_ms"]
        lines.append(
            f"| {page} `{p['path']}`: requests/s, p50 / p99 ms | {p['rps']:.2f} req/s, "
            f"{_ms(lat, 'p50')} / {_ms(lat, 'p99')} | alone: {_n(p['single_ms'])} ms | |"
        )
    f = r.get("freshness")
    if f:
        lines.append(
            f"| freshness: approve → visible ({f['through']}), median ms | "
            f"{_ms(f['visible_ms'])} | approve alone {_ms(f['approve_ms'])} | |"
        )
    lines += ["", "Details (median, spread min–max of the runs):", ""]
    for s in r.get("series", []):
        lines.append(
            f"* series `{s['indicator']}`: {s['periods']} periods, {s['points']} points from "
            f"{_n(s['rows_read'])} rows; same numbers as the SQL: "
            f"**{'yes' if s['same_numbers'] else 'NO'}**. App {_ms(s['app_ms'])} ms "
            f"({_spread(s['app_ms'])}); SQL {_ms(s['hand_ms'])} ms ({_spread(s['hand_ms'])}); "
            f"total only {_ms(s['total_only_ms'])} ms; as the page reads it (anonymous, with "
            f"small-number suppression) {_ms(s['published_ms'])} ms."
        )
    for page, p in r.get("pages", {}).items():
        lines.append(
            f"* {page}: {p['ok']} answered of {p['requests']} sent in {_n(p['seconds'], 1)} s "
            f"at concurrency {p['concurrency']} (statuses {p['statuses']}); latency median "
            f"{_ms(p['latency_ms'])} ms ({_spread(p['latency_ms'])}); page {_n(p['bytes'])} bytes."
        )
    if r.get("pages_note"):
        lines.append(f"* Note: {r['pages_note']}")
    if f:
        lines.append(
            f"* freshness: visible {_ms(f['visible_ms'])} ms ({_spread(f['visible_ms'])}); "
            f"reads needed after the approval: {f['reads_needed']}."
        )
    if imp:
        lines.append(
            f"* import: {imp['file_mb']:.0f} MB CSV, {_n(imp['created'])} values created with "
            f"their audit rows; the raw insert reads the same CSV, looks codes up in "
            f"dictionaries and writes the same rows (no audit) with the driver."
        )
    lines += [
        "",
        "Plan of the series query (`selectors.series`, total breakdown):",
        "",
        "```",
        _short_lists(r.get("explain", "")),
        "```",
        "",
    ]
    return lines


def _targets(r: dict) -> list[str]:
    rows = []
    imp = r.get("import") or {}
    s = (r.get("series") or [{}])[0]
    page = (r.get("pages") or {}).get("indicator page", {})
    fresh = r.get("freshness") or {}

    def verdict(ok: bool | None) -> str:
        return "—" if ok is None else ("holds" if ok else "**misses**")

    if imp:
        rows.append(
            (
                "import ≥ 100,000 values/s, ≥ 0.3 × raw",
                f"{_n(imp['import_values_per_s'])}/s, {imp['ratio']:.3f} × raw",
                verdict(imp["import_values_per_s"] >= 100_000 and imp["ratio"] >= 0.3),
            )
        )
        rows.append(
            (
                "import peak memory < 300 MB (1M rows)",
                f"{_n(imp['peak_mb'])} MB ({_n(imp['rows'])} rows)",
                verdict(imp["peak_mb"] < 300),
            )
        )
    if s:
        rows.append(
            (
                "series p95 < 100 ms, ≤ 1.5 × hand SQL",
                f"{_ms(s['app_ms'], 'p95')} ms, {s['ratio_p95']:.1f} ×",
                verdict(s["app_ms"]["p95"] < 100 and s["ratio_p95"] <= 1.5),
            )
        )
    if page:
        lat = page["latency_ms"]
        rows.append(
            (
                "indicator page ≥ 100 req/s, p99 < 300 ms",
                f"{page['rps']:.2f} req/s, p99 {_ms(lat, 'p99')} ms",
                verdict(page["rps"] >= 100 and lat.get("p99", 1e9) < 300),
            )
        )
    if fresh:
        rows.append(
            (
                "freshness < 1 s",
                f"{_ms(fresh['visible_ms'])} ms",
                verdict(fresh["visible_ms"]["median"] < 1000),
            )
        )
    out = ["| target | measured | |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return out


def render(results: dict[str, dict], analysis: str, args: argparse.Namespace) -> str:
    first = next(iter(results.values()))
    m = first["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`) on "
        f"{datetime.now(UTC):%Y-%m-%d}. Every figure is measured beside its baseline in the same "
        "run. Benchmarks are not tests: CI only runs them at a tiny size "
        "(`tests/bench/test_smoke.py`) to keep them working.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {m['cpu']} |",
        f"| RAM | {m['ram']} |",
        f"| OS | {m['os']} |",
        f"| Python / Django | {m['python']} / {m['django']} |",
        f"| databases | {', '.join(r['database'] for r in results.values())} |",
        "",
        "How: `bench/generate.py` makes a network (1 region → 10 counties → 240 neighborhoods, "
        "120 months, 50 indicators — half counts, half percents with numerators and denominators "
        "— the first 20 split by race/ethnicity (7 groups) and sex, 300 partners), metadata "
        "through the services, observations with the driver (`COPY` / `executemany`). Series: "
        f"{args.repeats} timed runs after one warm-up, in-process. Pages: gunicorn, 2 workers, "
        f"loaded for {args.load_seconds:.0f} s by `bench/load.py` (threads, keep-alive, "
        "anonymous) on the same 2 cores — the load generator takes CPU from the server. "
        "Default settings (no persistent database connections, no cache). Percentiles are "
        "nearest-rank over the runs (with few runs p95/p99 is the slowest).",
        "",
        "## Targets (PostgreSQL)" if "postgresql" in results else "## Targets",
        "",
        f"Targets: {TARGETS}.",
        "",
        *_targets(results.get("postgresql", first)),
        "",
    ]
    for name, r in results.items():
        lines += _section(name, r)
    lines += [START, analysis.strip("\n"), END, ""]
    return "\n".join(lines)


def kept_analysis() -> str:
    if not DOC.exists():
        return "\n## Analysis\n\n(Not written yet.)\n"
    text = DOC.read_text()
    if START in text and END in text:
        return text.split(START, 1)[1].split(END, 1)[0]
    return "\n## Analysis\n\n(Not written yet.)\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--observations", type=int, default=10_000_000)
    parser.add_argument("--sqlite-observations", type=int, default=0)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the page from var/bench/results-*"
    )
    args = parser.parse_args()
    results: dict[str, dict] = {}
    for vendor in args.databases.split(","):
        if args.render_only:
            results[vendor] = json.loads((WORK / f"results-{vendor}.json").read_text())
        else:
            results[vendor] = run_one(vendor, args)
    DOC.write_text(render(results, kept_analysis(), args))
    print(f"Wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
