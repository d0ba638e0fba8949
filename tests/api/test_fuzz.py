"""Fuzzing the API against its own OpenAPI schema (schemathesis, in-process over WSGI).

Whatever a client sends, the API answers without a server error; whatever the schema allows, it
answers with a documented status code, content type and body shape. Three callers: nobody, a
backbone admin's token and a data steward's token, against a seeded public initiative (and a
private one beside it), so the generated requests reach real figures, not only 404s.

A bug the fuzzing finds is fixed, and the request that found it stays as a plain test at the end.
"""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backbone.measurement.imports import import_observations
from backbone.measurement.models import Unit
from tests import factories as f
from tests.api.conftest import API, bearer, load, token_for

SEED = (
    "indicator,place,period,value,numerator,denominator,organization,shelter,note\n"
    "homeless,A,2022,120,,,,,\n"
    "homeless,B,2022,30,,,,,\n"
    "homeless,A,2023,100,,,,,PIT count\n"
    "homeless,A,2023,95,,,,sheltered,\n"
    "homeless,A,2023,5,,,,unsheltered,\n"
    "screened,A,2023,,9,10,CLINIC,,\n"
    "screened,B,2023,,10,100,Other,,\n"
    "secret-count,A,2023,7,,,,,\n"
    "visits,A,2023,,12,3000,CLINIC,,\n"
)
DRAFTS = "indicator,place,period,numerator,denominator,organization\nscreened,A,2024,5,8,CLINIC\n"

# Real codes mixed into the generated values, so that requests find things as often as not.
KNOWN = {
    "slugs": ["city", "hidden"],
    "indicators": ["homeless", "screened", "visits", "secret-count", "HOMELESS", "hidden-count"],
    "places": ["A", "B", "R", "a"],
    "periods": ["2022", "2023", "2023Q1", "2024", "2023-01", "FY2024", "SY2023-24"],
    "organizations": ["CLINIC", "Other", "clinic"],
    "dimensions": ["shelter"],
}
WHERE = {
    "path.slug": "slugs",
    "path.code": "indicators",
    "query.indicator": "indicators",
    "query.place": "places",
    "query.period": "periods",
    "query.organization": "organizations",
    "query.by": "dimensions",
    "body.rows[*].indicator": "indicators",
    "body.rows[*].place": "places",
    "body.rows[*].period": "periods",
    "body.rows[*].organization": "organizations",
}
CONFIG = {
    # The test sends each caller's real credentials itself: no made-up tokens or cookies.
    "generation": {"with-security-parameters": False},
    "dictionaries": {name: {"values": values} for name, values in KNOWN.items()},
    "parameters": {
        where: {"dictionary": name, "probability": 0.7} for where, name in WHERE.items()
    },
}
# A request the schema allows gets a documented status, content type and body.
CONFORMS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A request the schema does not allow is refused, never a crash, and with a documented shape.
REFUSED = CONFORMS
EXAMPLES = settings(
    max_examples=25,
    derandomize=True,  # the same requests on every run: a CI failure reproduces locally
    deadline=None,  # a request is several queries; PostgreSQL on CI may be slow
    database=None,  # nothing to replay: derandomized runs find the same failure again
    # Big generated bodies are slow to build on a busy CI runner.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    checks: list,
    headers: dict[str, str],
    sent: Counter[str],
    statuses: Counter[int],
) -> None:
    """Send ``operation`` the generated requests of ``mode`` and run ``checks`` on each answer."""
    cases = operation.as_strategy(generation_mode=mode)

    @given(case=cases)
    @EXAMPLES
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        sent[operation.label] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, headers=headers, checks=checks)

    run()


@pytest.fixture
def seeded(world):
    f.rate_indicator(  # a rate of events: its computed value is not bounded by the denominator
        world["init"],
        "visits",
        unit=Unit.RATE,
        rate_base=1000,
        numerator_within_denominator=False,
        is_public=True,
    )
    load(world["init"], SEED)
    report = import_observations(
        actor=world["steward"],
        initiative=world["init"],
        file=io.BytesIO(DRAFTS.encode()),
        filename="drafts.csv",
        dry_run=False,
    )
    assert report.saved, [p.as_dict() for p in report.problems]
    return world


@pytest.fixture
def api_schema(settings):
    """The schema the API serves, with the API itself as the transport (no server, no network)."""
    settings.ALLOWED_HOSTS = ["localhost"]  # the Host header schemathesis' WSGI client sends
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True  # a crash fails with its traceback, not a 500 page
    config = schemathesis.Config.from_dict(CONFIG)
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", WSGIHandler(), config=config)


# transaction=True: the WSGI handler closes the database connection after each request, as in
# production, which would break the test transaction of a plain ``db`` test; and writes commit
# for real, so their on_commit work runs too.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("caller", ["anonymous", "admin", "steward"])
def test_the_api_answers_every_request_as_its_schema_says(api_schema, seeded, caller):
    headers = {} if caller == "anonymous" else bearer(token_for(seeded[caller]))
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for result in api_schema.get_all_operations():
        operation = result.ok()
        runs = [(GenerationMode.POSITIVE, CONFORMS)]
        if len(operation.query) or len(operation.body):  # nothing to break in a bare path
            runs.append((GenerationMode.NEGATIVE, REFUSED))
        for mode, checks in runs:
            _fuzz(operation, mode, checks, headers, sent, statuses)
    print(f"\n{caller}: {sent.total()} requests, by status {dict(sorted(statuses.items()))}")
    assert set(sent) == {op.ok().label for op in api_schema.get_all_operations()}
    assert statuses[200] > 0
    if caller != "anonymous":
        assert statuses[422] > 0  # the batch upsert's refusals, among others


# --- What the fuzzing found. ---


@pytest.mark.django_db
def test_a_figure_too_large_to_store_is_refused_not_a_crash(client, world):
    """Found by the fuzzing: 10^14 passed every check, then SQLite failed reading it back and
    PostgreSQL refused it ('numeric field overflow'): a 500."""
    row = {"indicator": "homeless", "place": "A", "period": "2023", "value": 10**14}
    response = client.post(
        f"{API}/initiatives/city/observations",
        data=json.dumps({"rows": [row]}),
        content_type="application/json",
        headers=bearer(token_for(world["admin"])),
    )
    assert response.status_code == 422
    assert [p["column"] for p in response.json()["problems"]] == ["value"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("body", [{"rows": []}, {"dry_run": True}], ids=["no-rows", "malformed"])
def test_the_batch_upserts_refusals_have_the_documented_shape(api_schema, world, body):
    case = api_schema[f"{API}/initiatives/{{slug}}/observations"]["POST"].Case(
        path_parameters={"slug": "city"}, body=body, media_type="application/json"
    )
    headers = bearer(token_for(world["admin"]))
    response = case.call(headers=headers)
    assert response.status_code == 422
    case.validate_response(response, headers=headers, checks=[response_schema_conformance])
