"""Series: figures combined over places and partners, by group, small numbers hidden."""

from __future__ import annotations

import pytest

from tests.api.conftest import API, bearer, load, token_for

pytestmark = pytest.mark.django_db

SEED = (
    "indicator,place,period,value,numerator,denominator,organization,shelter\n"
    "homeless,A,2022,120,,,,\n"
    "homeless,B,2022,30,,,,\n"
    "homeless,A,2023,100,,,,\n"
    "homeless,A,2023,95,,,,sheltered\n"
    "homeless,A,2023,5,,,,unsheltered\n"
    "homeless,B,2024,40,,,,\n"
    "homeless,B,2024,25,,,,sheltered\n"
    "homeless,B,2024,15,,,,unsheltered\n"
    "screened,A,2023,,9,10,CLINIC,\n"
    "screened,B,2023,,10,100,Other,\n"
    "screened,A,2024,,3,4,CLINIC,\n"
    "screened,B,2024,,50,60,Other,\n"
)


@pytest.fixture
def seeded(world):
    load(world["init"], SEED)
    return world


def series(client, query, user=None):
    headers = bearer(token_for(user)) if user is not None else {}
    return client.get(f"{API}/initiatives/city/series{query}", headers=headers)


def figures(body):
    return [
        (p["period"], p["breakdown"].get("shelter", ""), p["value"], p["suppressed"])
        for p in body["points"]
    ]


def test_a_count_adds_up_the_places_below(client, seeded):
    body = series(client, "?indicator=homeless&place=R").json()
    assert (body["indicator"], body["place"], body["by"], body["unit"]) == (
        "homeless",
        "R",
        None,
        "count",
    )
    assert figures(body) == [
        ("2022", "", "150", False),  # 120 at A + 30 at B
        ("2023", "", "100", False),
        ("2024", "", "40", False),
    ]
    assert [p["reports"] for p in body["points"]] == [2, 1, 1]


def test_a_rate_is_the_sum_of_numerators_over_the_sum_of_denominators(client, seeded):
    points = series(client, "?indicator=screened&place=R").json()["points"]
    first = points[0]
    assert (first["period"], first["numerator"], first["denominator"]) == ("2023", "19", "110")
    assert first["value"] == "17.272727"  # 19 / 110 × 100, not the mean of 90 % and 10 %
    assert (points[1]["numerator"], points[1]["denominator"], points[1]["value"]) == (
        "53",
        "64",
        "82.8125",
    )


def test_small_numbers_are_hidden_from_the_public_with_a_complement(client, seeded):
    body = series(client, "?indicator=homeless&place=R&by=shelter").json()
    assert body["by"] == "shelter"
    assert figures(body) == [
        ("2022", "", "150", False),
        ("2023", "", "100", False),
        ("2023", "sheltered", None, True),  # the complement: 100 − 95 would give 5 away
        ("2023", "unsheltered", None, True),  # 5 people: below the threshold of 10
        ("2024", "", "40", False),
        ("2024", "sheltered", "25", False),
        ("2024", "unsheltered", "15", False),
    ]
    hidden = body["points"][2]
    assert (hidden["numerator"], hidden["denominator"]) == (None, None)


def test_a_small_denominator_hides_a_rate_from_the_public(client, seeded):
    points = series(client, "?indicator=screened&place=A").json()["points"]
    assert [(p["period"], p["value"], p["suppressed"]) for p in points] == [
        ("2023", "90", False),  # 10 children: at the threshold, shown
        ("2024", None, True),  # 4 children
    ]


def test_participants_see_every_figure(client, seeded, world):
    body = series(client, "?indicator=homeless&place=R&by=shelter", world["member"]).json()
    assert [p["value"] for p in body["points"]] == ["150", "100", "95", "5", "40", "25", "15"]
    assert not any(p["suppressed"] for p in body["points"])
    rate = series(client, "?indicator=screened&place=A", world["member"]).json()["points"]
    assert rate[1]["value"] == "75"


def test_series_refuses_what_it_cannot_find_or_split(client, seeded):
    assert series(client, "?indicator=nope&place=R").json() == {
        "detail": "There is no indicator “nope” in City Shelter Network."
    }
    assert series(client, "?indicator=homeless&place=Q").status_code == 404
    assert series(client, "?indicator=homeless&place=R&by=race").status_code == 404
    response = series(client, "?indicator=screened&place=R&by=shelter")
    assert response.status_code == 422
    assert response.json() == {"detail": "screened is not split by shelter."}
    assert series(client, "?indicator=secret-count&place=R").status_code == 404
    missing = series(client, "?indicator=homeless")
    assert missing.status_code == 422
    assert missing.json()["detail"].startswith("The request is not valid: place:")
