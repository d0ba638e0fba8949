"""Faults: many people writing the same values at once, and an import killed half-way.

(a) Concurrent writers. Eight threads, each with its own database connection, make 25 successful
    changes each to the same three values through ``observations_record``: each reads the
    version fresh, writes with ``expected_version`` and, on ``ConflictError``, reads again and
    retries. Nothing may be lost: every value ends at version 1 + its successful writes, and its
    history has exactly one change per write, with consecutive versions. This needs real
    concurrent writers, so it runs on PostgreSQL only (SQLite has one writer at a time).

(b) An import killed with ``kill -9`` while it writes. ``backbone import`` of a generated 50,000-row
    file runs in a subprocess against a fresh database (PostgreSQL in the PostgreSQL run, a
    SQLite file in the SQLite run), set up with ``backbone migrate`` and ``backbone
    load-metadata``. It is killed once it has started writing (PostgreSQL: it holds the write lock
    on the observation table; SQLite: its rollback journal exists). Not one value may be left
    behind, and the same import then runs to completion.

(c) Background tasks: a failing task is retried and then reported; that is tested with the real
    worker in ``tests/measurement/test_reminders.py`` (ADR 8).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections

from backbone.core.errors import ConflictError
from backbone.core.models import Role, User
from backbone.measurement import services as s
from backbone.measurement.models import Observation, ObservationChange
from backbone.measurement.validation import Figures
from tests import factories as f
from tests.security.test_backup import temporary_postgres

ROOT = Path(__file__).resolve().parents[2]
WRITERS, WRITES, VALUES = 8, 25, 3
PLACES, MONTHS = 500, 100  # 50,000 rows

on_sqlite = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers: SQLite lets one connection write at a time",
)


# --- (a) Concurrent writers ----------------------------------------------------------------


def _values():
    init = f.initiative("crowd")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD)
    indicator = f.indicator(init, "visits")
    keys = [
        {
            "indicator": indicator,
            "place": f.place(init, f"P{n}"),
            "period": s.period_for("2024"),
            "breakdown": s.breakdown_for(init, {}),
            "organization": clinic.organization,
        }
        for n in range(VALUES)
    ]
    s.observations_record(
        actor=steward,
        initiative=init,
        entries=[s.Entry(**key, figures=Figures(value=Decimal(0))) for key in keys],
    )
    pks = [Observation.objects.get(place=key["place"]).pk for key in keys]
    return init, [admin.pk, steward.pk], keys, pks


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_lose_no_update(record_property):
    init, people, keys, pks = _values()
    barrier = threading.Barrier(WRITERS)
    lock = threading.Lock()
    wins: list[tuple[int, int, Decimal]] = []  # (observation, version written, value)
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        user = User.objects.get(pk=people[number % len(people)])  # its own object, own cache
        try:
            barrier.wait(timeout=30)
            done = 0
            while done < WRITES:
                target = (number + done) % VALUES
                seen = Observation.objects.get(pk=pks[target]).version
                value = Decimal(1000 * (number + 1) + done)
                entry = s.Entry(**keys[target], figures=Figures(value=value), expected_version=seen)
                try:
                    result = s.observations_record(actor=user, initiative=init, entries=[entry])
                except ConflictError:
                    with lock:
                        conflicts.append(number)
                    continue
                written = result.observations[0]
                with lock:
                    wins.append((written.pk, written.version, value))
                done += 1
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    record_property("writes", len(wins))
    record_property("conflicts", len(conflicts))

    assert len(wins) == WRITERS * WRITES == 200
    assert conflicts, "the writers never collided: the test proved nothing"
    # Nobody won the same version of the same value twice.
    assert len({(pk, version) for pk, version, _v in wins}) == len(wins)
    for pk in pks:
        mine = sorted((version, value) for obs, version, value in wins if obs == pk)
        stored = Observation.objects.get(pk=pk)
        assert stored.version == 1 + len(mine)
        assert stored.value == mine[-1][1]
        history = list(
            ObservationChange.objects.filter(observation_id=pk)
            .order_by("version")
            .values_list("version", "after")
        )
        assert [version for version, _a in history] == list(range(1, stored.version + 1))
        # Each successful write is in the history exactly as written, before → after chained.
        assert [(v, Decimal(after["value"])) for v, after in history[1:]] == mine
    assert ObservationChange.objects.count() == VALUES + WRITERS * WRITES


# --- (b) An import killed with kill -9 ---------------------------------------------------------


def _backbone(url: str, *args: str, tmp_path: Path, **popen: object):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backbone.settings",
        "DATABASE_URL": url,
        "BACKBONE_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "backbone.cli", *args]
    if popen:
        return subprocess.Popen(command, env=env, cwd=ROOT, **popen)
    result = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"backbone {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def _files(tmp_path: Path) -> tuple[Path, Path]:
    metadata = tmp_path / "crash.json"
    metadata.write_text(
        json.dumps(
            {
                "format": "backbone-metadata",
                "version": 1,
                "initiative": {"slug": "crash", "name": "Crash test"},
                "places": [
                    {"code": f"P{n:04d}", "name": f"Place {n}", "level": "area"}
                    for n in range(PLACES)
                ],
                "indicators": [
                    {
                        "code": "visits",
                        "name": "Clinic visits",
                        "definition": "Visits to a clinic in the month.",
                        "unit": "count",
                        "direction": "up",
                        "level": "population",
                        "aggregation": "sum",
                        "period_type": "month",
                    }
                ],
            }
        )
    )
    rows = tmp_path / "visits.csv"
    with rows.open("w") as out:
        out.write("indicator,place,period,value\n")
        for month in range(MONTHS):
            period = f"{2016 + month // 12}-{month % 12 + 1:02d}"
            for n in range(PLACES):
                out.write(f"visits,P{n:04d},{period},{(n * 7 + month) % 97}\n")
    return metadata, rows


class _Postgres:
    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

    def writing(self) -> bool:
        """Another session holds the write lock an INSERT takes on the observation table."""
        return bool(
            self.conn.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'measurement_observation' AND l.mode = 'RowExclusiveLock' "
                "AND l.pid <> pg_backend_pid()"
            ).fetchone()[0]
        )

    def close(self) -> None:
        self.conn.close()

    def others(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchone()[0]


class _Sqlite:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = Path(f"{path}-journal")

    def count(self, table: str) -> int:
        with sqlite3.connect(self.path) as conn:  # a hot journal is rolled back on opening
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

    def writing(self) -> bool:
        return self.journal.exists()

    def others(self) -> int:
        return 0

    def close(self) -> None:
        pass


@contextmanager
def _database(tmp_path: Path):
    if connection.vendor == "postgresql":
        with temporary_postgres("crash") as url:
            yield url, lambda: _Postgres(url)
    else:
        path = tmp_path / "crash.sqlite3"
        yield f"sqlite:///{path}", lambda: _Sqlite(path)


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


def test_an_import_killed_mid_way_leaves_nothing_then_completes(tmp_path, record_property):
    metadata, rows = _files(tmp_path)
    with _database(tmp_path) as (url, probe):
        _backbone(url, "migrate", "--no-input", "-v", "0", tmp_path=tmp_path)
        _backbone(url, "load-metadata", str(metadata), tmp_path=tmp_path)
        db = probe()
        periods = db.count("measurement_period")

        started = time.monotonic()
        doomed = _backbone(
            url,
            "import",
            "--initiative",
            "crash",
            str(rows),
            tmp_path=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(lambda: db.writing() or doomed.poll() is not None, 60, "the import to write")
            time.sleep(1.0)  # let it write a few batches more
            assert doomed.poll() is None, "the import ended before it could be killed"
            doomed.kill()  # SIGKILL: no clean-up, no rollback from the process itself
        finally:
            doomed.wait(timeout=30)
        assert doomed.returncode == -9
        record_property("killed_after_seconds", round(time.monotonic() - started, 1))
        if connection.vendor != "postgresql":
            assert db.journal.exists()  # a hot journal: the crash happened mid-transaction
        _wait(lambda: db.others() == 0, 30, "the killed import's session to end")

        assert db.count("measurement_observation") == 0
        assert db.count("measurement_observationchange") == 0
        assert db.count("measurement_period") == periods

        result = _backbone(url, "import", "--initiative", "crash", str(rows), tmp_path=tmp_path)
        assert "Imported 50000 row(s): 50000 new, 0 changed, 0 unchanged." in result.stdout
        assert db.count("measurement_observation") == PLACES * MONTHS == 50_000
        assert db.count("measurement_observationchange") == 50_000
        db.close()
