"""The benchmark suite at a tiny size: every piece runs, and the application's series agrees with
the hand-written SQL. Benchmarks are not tests — no timing is asserted here."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import generate, load, measure

# Three neighborhoods of the first two indicators (a count and a percent, split by race and sex:
# 120 months × (total + 9 groups)); the real plan fills indicator by indicator.
PLAN = [(0, i, n, 1200) for i in (0, 1) for n in range(3)]
SMALL = 7_200


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return {
            name
            for name, info in connection.introspection.get_constraints(
                cursor, generate.TABLE
            ).items()
            if info["index"]
        }


@pytest.fixture
def net(transactional_db, monkeypatch):
    monkeypatch.setattr(generate, "strips", lambda observations: PLAN)
    monkeypatch.setattr(load, "HEADERS", {"X-Forwarded-Proto": "https"})  # the test server
    before = _indexes()
    network = generate.generate(SMALL, fast_load=True)
    assert _indexes() == before  # the indexes dropped for the load are back
    return network


def test_the_plan_fills_indicator_by_indicator():
    plan = generate.strips(300_000)
    assert sum(rows for *_k, rows in plan) == 300_000
    assert plan[0] == (0, 0, 0, 1200) and plan[240][1] == 1  # ind-00 everywhere, then ind-01
    assert len(generate.strips(10_000_000)) > 50 * 240  # a second partner in pass 1


def test_generate_series_and_import_run(net):
    assert net.observations == SMALL
    assert len(net.neighborhoods) == 240 and len(net.counties) == 10
    assert len(net.indicators) == 50 and len(net.organizations) == 300
    again = generate.load(net.slug)
    assert again.observations == SMALL and again.region.pk == net.region.pk
    for index in (0, 1):  # a count and a percent (ratio of sums)
        result = measure.measure_series(net, indicator_index=index, repeats=1)
        assert result["same_numbers"], result["problems"]
        assert result["periods"] > 0 and result["points"] > 0
    assert measure.explain_series(net)
    report = measure.measure_import(960)
    assert report["created"] == report["rows"] == report["raw_rows"] == 960


def test_differences_are_found():
    key = (1, 2)
    assert measure.differences({key: (1, None, None, 1)}, {key: (2, None, None, 1)})
    assert measure.differences({key: (1, None, None, 1)}, {})


def test_pages_and_freshness_run(net, live_server):
    paths, note = measure.page_paths(live_server.url, net.slug, net.indicators[0].code)
    assert note == ""
    pages = measure.measure_pages(
        live_server.url, paths, concurrency=1, requests=2, seconds=5, timeout=60
    )
    for name, page in pages.items():
        assert page["single_status"] == 200, name
        assert page["ok"] >= 1 and page["errors"] == 0, name
    fresh = measure.measure_freshness(net, base_url=live_server.url, runs=1)
    assert fresh["reads_needed"] == [1]
    fresh = measure.measure_freshness(net, runs=1, first=1)  # in-process, the next partner
    assert fresh["through"].startswith("selectors")
