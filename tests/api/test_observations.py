"""Listing observations: filters, pages, exact decimals, statuses by role, small numbers hidden."""

from __future__ import annotations

import json

import pytest

from backbone.measurement.models import Observation, ObservationStatus
from tests.api.conftest import API, bearer, load, token_for

pytestmark = pytest.mark.django_db

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
)


@pytest.fixture
def seeded(world):
    load(world["init"], SEED)
    return world


def listing(client, query="", user=None):
    headers = bearer(token_for(user)) if user is not None else {}
    return client.get(f"{API}/initiatives/city/observations{query}", headers=headers)


def test_an_observation_has_its_tidy_fields_and_exact_numbers(client, seeded):
    body = listing(client, "?indicator=screened&place=A").json()
    assert body["count"] == 1
    (item,) = body["items"]
    updated = item.pop("updated_at")
    assert updated
    assert item == {
        "indicator": "screened",
        "place": "A",
        "period": "2023",
        "breakdown": {},
        "organization": "CLINIC",
        "value": "90",
        "numerator": "9",
        "denominator": "10",
        "margin_of_error": None,
        "ci_low": None,
        "ci_high": None,
        "quality": "",
        "status": "approved",
        "version": 1,
        "note": "",
        "suppressed": False,
    }


def test_filters_narrow_the_list(client, seeded, world):
    def count(query, user=world["member"]):
        return listing(client, query, user).json()["count"]

    assert count("") == 8
    assert count("?indicator=homeless") == 5
    assert count("?indicator=homeless&period=2022") == 2
    assert count("?place=b") == 2  # codes match in any case
    assert count("?organization=clinic") == 1
    assert count("?organization=Other") == 1
    assert count("?period=2024") == 0
    shelter = listing(client, "?indicator=homeless&period=2023", world["member"]).json()["items"]
    assert [o["breakdown"] for o in shelter] == [
        {},
        {"shelter": "sheltered"},
        {"shelter": "unsheltered"},
    ]
    assert shelter[0]["note"] == "PIT count"


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("?indicator=nope", "There is no indicator “nope” in City Shelter Network."),
        ("?place=Z", "There is no place “Z” in City Shelter Network."),
        ("?organization=Nobody", "There is no partner “Nobody” in City Shelter Network."),
    ],
)
def test_unknown_codes_are_named_in_a_404(client, seeded, query, detail):
    response = listing(client, query)
    assert response.status_code == 404
    assert response.json() == {"detail": detail}


def test_a_bad_period_or_limit_is_a_422_with_a_plain_message(client, seeded):
    response = listing(client, "?period=2023-13")
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)
    response = listing(client, "?limit=1001")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("The request is not valid: limit:")
    assert body["errors"][0]["loc"][-1] == "limit"


def test_pages_cover_every_observation_once(client, seeded, world):
    seen = []
    for offset in range(0, 10, 3):
        body = listing(client, f"?limit=3&offset={offset}", world["admin"]).json()
        assert body["count"] == 8
        assert (body["limit"], body["offset"]) == (3, offset)
        seen += [
            (o["indicator"], o["place"], o["period"], str(o["breakdown"])) for o in body["items"]
        ]
    assert len(seen) == len(set(seen)) == 8


def test_anonymous_does_not_see_private_indicators_figures(client, seeded, world):
    codes = {o["indicator"] for o in listing(client, "?limit=1000").json()["items"]}
    assert codes == {"homeless", "screened"}
    assert listing(client, "?indicator=secret-count").status_code == 404
    member = {o["indicator"] for o in listing(client, "", world["member"]).json()["items"]}
    assert member == {"homeless", "screened", "secret-count"}


def test_small_numbers_are_hidden_from_the_public_with_their_complement(client, seeded, world):
    items = listing(client, "?indicator=homeless&period=2023").json()["items"]
    shown = {o["breakdown"].get("shelter", "total"): (o["value"], o["suppressed"]) for o in items}
    # 5 unsheltered is below the threshold (10); 95 sheltered would give it away (100 − 95).
    assert shown == {
        "total": ("100", False),
        "sheltered": (None, True),
        "unsheltered": (None, True),
    }
    member = listing(client, "?indicator=homeless&period=2023", world["member"]).json()["items"]
    assert [o["value"] for o in member] == ["100", "95", "5"]
    assert not any(o["suppressed"] for o in member)


def test_suppression_considers_the_whole_group_even_across_pages(client, seeded):
    body = listing(client, "?indicator=homeless&period=2023&limit=1&offset=2").json()
    (item,) = body["items"]
    assert item["breakdown"] == {"shelter": "unsheltered"}
    assert item["suppressed"] is True and item["value"] is None
    body = listing(client, "?indicator=homeless&period=2023&limit=1&offset=1").json()
    assert body["items"][0]["suppressed"] is True


def write_drafts(client, user, rows):
    response = client.post(
        f"{API}/initiatives/city/observations",
        data=json.dumps({"rows": rows}),
        content_type="application/json",
        headers=bearer(token_for(user)),
    )
    assert response.status_code == 200, response.json()


def test_drafts_are_for_the_backbone_and_their_own_organizations_stewards(client, seeded, world):
    write_drafts(
        client,
        world["steward"],
        [
            {
                "indicator": "screened",
                "place": "A",
                "period": "2024",
                "numerator": 5,
                "denominator": 8,
                "organization": "CLINIC",
            }
        ],
    )
    write_drafts(
        client,
        world["other_steward"],
        [
            {
                "indicator": "screened",
                "place": "B",
                "period": "2024",
                "numerator": 1,
                "denominator": 4,
                "organization": "Other",
            }
        ],
    )
    assert Observation.objects.filter(status=ObservationStatus.DRAFT).count() == 2

    def drafts(user):
        response = listing(client, "?status=draft", user)
        return response.status_code, sorted(
            o["organization"] for o in response.json().get("items", [])
        )

    assert drafts(world["admin"]) == (200, ["CLINIC", "Other"])
    assert drafts(world["steward"]) == (200, ["CLINIC"])
    assert drafts(world["other_steward"]) == (200, ["Other"])
    for user in (None, world["member"], world["outsider"]):
        status, _items = drafts(user)
        assert status == 403
    assert listing(client, "?status=draft").json()["detail"].startswith("Only the backbone team")
    # The default is approved figures only, for everyone.
    assert listing(client, "?period=2024", world["admin"]).json()["count"] == 0
