"""Batch upsert: the file import's checks on JSON rows, all or nothing, with a row-level report."""

from __future__ import annotations

import json

import pytest

from backbone.measurement.models import Observation, ObservationChange, ObservationStatus
from tests.api.conftest import API, bearer, token_for

pytestmark = pytest.mark.django_db

URL = f"{API}/initiatives/city/observations"

GOOD = [
    {"indicator": "homeless", "place": "A", "period": "2023", "value": 120},
    {
        "indicator": "homeless",
        "place": "A",
        "period": "2023",
        "value": "100",
        "breakdown": {"shelter": "sheltered"},
    },
    {
        "indicator": "homeless",
        "place": "A",
        "period": "2023",
        "value": 20.0,
        "breakdown": {"Shelter": "UNSHELTERED"},
        "note": "street count",
    },
    {
        "indicator": "screened",
        "place": "A",
        "period": "2023",
        "numerator": 9,
        "denominator": 10,
        "organization": "CLINIC",
    },
]


def send(client, user, rows, *, dry_run=None, slug="city", secret=None):
    body = {"rows": rows} if dry_run is None else {"rows": rows, "dry_run": dry_run}
    headers = bearer(secret or token_for(user)) if (user or secret) else {}
    return client.post(
        f"{API}/initiatives/{slug}/observations",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_good_rows_are_saved_and_sending_them_again_changes_nothing(client, world):
    secret = token_for(world["admin"])
    response = send(client, None, GOOD, secret=secret)
    assert response.status_code == 200
    report = response.json()
    assert (report["saved"], report["rows"], report["created"], report["errors"]) == (True, 4, 4, 0)
    assert report["problems"] == []
    assert report["summary"] == "Imported 4 row(s): 4 new, 0 changed, 0 unchanged."
    stored = {
        (o.indicator.code, o.breakdown.key): (o.value, o.numerator, o.denominator, o.status)
        for o in Observation.objects.select_related("indicator", "breakdown")
    }
    assert stored[("homeless", "shelter:unsheltered")][0] == 20
    assert stored[("screened", "")] == (90, 9, 10, ObservationStatus.DRAFT)
    assert stored[("homeless", "")][3] == ObservationStatus.APPROVED
    change = ObservationChange.objects.first()
    assert change.actor == world["admin"]
    assert change.reason.startswith("Imported from the API (token “test ")
    again = send(client, None, GOOD, secret=secret).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)


def test_a_changed_value_is_an_update(client, world):
    send(client, world["admin"], GOOD)
    rows = [dict(GOOD[0], value=125), dict(GOOD[1], value=101)]
    report = send(client, world["admin"], rows).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 2, 0)
    assert report["warnings"] == 1  # 101 + 20 is not 125 — a warning by default
    assert report["problems"][0]["severity"] == "warning"


def test_a_dry_run_reports_and_saves_nothing(client, world):
    response = send(client, world["admin"], GOOD, dry_run=True)
    assert response.status_code == 200
    report = response.json()
    assert (report["dry_run"], report["saved"], report["created"]) == (True, False, 4)
    assert "Nothing is saved yet" in report["summary"]
    assert not Observation.objects.exists()


def test_a_bad_row_refuses_the_whole_batch_with_row_column_and_message(client, world):
    rows = [*GOOD, {"indicator": "homeless", "place": "A", "period": "2022", "value": "lots"}]
    rows.append({"indicator": "homeless", "place": "Z", "period": "2022", "value": 1})
    response = send(client, world["admin"], rows)
    assert response.status_code == 422
    report = response.json()
    assert report["saved"] is False and report["created"] == 0
    assert report["detail"] == report["summary"]
    assert report["detail"].startswith("Nothing was saved")
    assert [(p["row"], p["column"], p["message"]) for p in report["problems"]] == [
        (5, "value", "“lots” is not a number."),
        (6, "place", "“Z” is not a place of this initiative."),
    ]
    assert all(p["fix"] for p in report["problems"])
    assert not Observation.objects.exists()


def test_an_unknown_dimension_or_member_is_a_row_problem(client, world):
    rows = [
        dict(GOOD[0]),
        {
            "indicator": "homeless",
            "place": "A",
            "period": "2022",
            "value": 1,
            "breakdown": {"race": "black"},
        },
        {
            "indicator": "homeless",
            "place": "B",
            "period": "2023",
            "value": 1,
            "breakdown": {"shelter": "doubled-up"},
        },
        {
            "indicator": "screened",
            "place": "B",
            "period": "2023",
            "value": 1,
            "breakdown": {"shelter": "sheltered"},
        },
    ]
    response = send(client, world["admin"], rows)
    assert response.status_code == 422
    problems = [(p["row"], p["column"]) for p in response.json()["problems"]]
    assert problems == [(2, "race"), (3, "shelter"), (4, "shelter")]
    messages = [p["message"] for p in response.json()["problems"]]
    assert messages[0] == "“race” is not a dimension of this initiative."
    assert messages[2] == "screened is not split by shelter."
    assert not Observation.objects.exists()


def test_a_steward_cannot_write_another_organizations_rows(client, world):
    rows = [
        {
            "indicator": "screened",
            "place": "A",
            "period": "2023",
            "numerator": 9,
            "denominator": 10,
            "organization": "CLINIC",
        },
        {
            "indicator": "screened",
            "place": "B",
            "period": "2023",
            "numerator": 1,
            "denominator": 10,
            "organization": "Other",
        },
        {"indicator": "homeless", "place": "B", "period": "2023", "value": 3},
    ]
    response = send(client, world["steward"], rows)
    assert response.status_code == 422
    problems = [(p["row"], p["column"], p["message"]) for p in response.json()["problems"]]
    assert problems == [
        (2, "organization", "You may not report figures for Other."),
        (3, "organization", "You may not report figures for the whole community."),
    ]
    assert not Observation.objects.exists()
    assert send(client, world["steward"], rows[:1]).status_code == 200
    assert Observation.objects.get().organization == world["clinic"].organization


def test_outsiders_cannot_write_to_a_public_initiative_and_private_ones_are_not_found(
    client, world
):
    response = send(client, world["outsider"], GOOD[:1])
    assert response.status_code == 422
    assert response.json()["problems"][0]["column"] == "organization"
    response = send(client, world["admin"], GOOD[:1], slug="hidden")
    assert response.status_code == 404
    assert not Observation.objects.exists()


def test_anonymous_post_is_401(client, world):
    response = send(client, None, GOOD)
    assert response.status_code == 401
    assert not Observation.objects.exists()


def test_too_many_rows_are_refused_with_a_clear_message(client, world):
    rows = [{"indicator": "homeless", "place": "A", "period": "2023", "value": 1}] * 10_001
    response = send(client, world["admin"], rows)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Send at most 10,000 rows per request; this one has 10,001. Split it up."
    }
    assert not Observation.objects.exists()


def test_a_body_over_the_upload_limit_is_413(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = send(client, world["admin"], GOOD * 10)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_no_rows_is_a_422(client, world):
    response = send(client, world["admin"], [])
    assert response.status_code == 422
    assert response.json() == {"detail": "There are no rows to save. Send at least one row."}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"rows": [{"indicator": "homeless", "place": "A"}]}, "rows.0.period"),
        ({"rows": [dict(GOOD[0], valeu=3)]}, "rows.0.valeu"),
        ({"rows": [dict(GOOD[0], value=True)]}, "rows.0.value"),
        ({"rows": "homeless,A,2023,1"}, "rows"),
    ],
)
def test_a_malformed_body_is_a_422_naming_the_field(client, world, body, where):
    response = client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        headers=bearer(token_for(world["admin"])),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith(f"The request is not valid: {where}")
    assert response.json()["errors"]
    assert not Observation.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, world):
    response = client.post(
        URL,
        data="indicator,place,period,value\nhomeless,A,2023,1\n",
        content_type="application/json",
        headers=bearer(token_for(world["admin"])),
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}
