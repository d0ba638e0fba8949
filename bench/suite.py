"""The whole suite on one database (one process: Django is set up once per process).

    python -m bench.suite --database-url URL --observations N --out results.json
                          [--import-rows 1000000] [--repeats 10] [--load-seconds 20]

Migrates, generates the network, measures the series, starts gunicorn (2 workers) on loopback
for the pages and freshness, then runs the import in a process of its own (for its peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, bench_env, database_version, machine, setup_django


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workers: int = 2) -> subprocess.Popen:
    env = {**os.environ, **bench_env(database_url)}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            str(gunicorn),
            "backbone.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--timeout=600",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--observations", type=int, default=10_000_000)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.core.management import call_command

    from bench import generate, measure

    results: dict[str, object] = {"machine": machine()}
    call_command("migrate", verbosity=0)
    results["database"] = database_version()

    def save() -> None:
        Path(args.out).write_text(json.dumps(results, indent=2, default=str))

    print(f"[{results['database']}] generating {args.observations:,} observations…", flush=True)
    net = generate.generate(args.observations)
    results["generate"] = {
        "observations": net.observations,
        "metadata_s": net.seconds_metadata,
        "rows_s": net.seconds_rows,
    }
    save()
    print(f"  done in {net.seconds_rows:.0f} s; series…", flush=True)
    results["series"] = [
        measure.measure_series(net, indicator_index=i, repeats=args.repeats) for i in (0, 1)
    ]
    results["explain"] = measure.explain_series(net, 0)
    save()
    port = free_port()
    server = start_gunicorn(args.database_url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        print("  pages…", flush=True)
        paths, note = measure.page_paths(base, net.slug, net.indicators[0].code)
        results["pages_note"] = note
        results["pages"] = measure.measure_pages(
            base, paths, concurrency=args.concurrency, seconds=args.load_seconds
        )
        save()
        print("  freshness…", flush=True)
        results["freshness"] = measure.measure_freshness(net, base_url=base, runs=3)
        save()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"  import of {args.import_rows:,} rows…", flush=True)
    child = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            "-m",
            "bench.measure",
            "import",
            f"--database-url={args.database_url}",
            f"--rows={args.import_rows}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    results["import"] = json.loads(child.stdout.strip().splitlines()[-1])
    save()
    print("  done.", flush=True)


if __name__ == "__main__":
    main()
