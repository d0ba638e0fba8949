"""Reading the library: the same things the pages show, to the same people; 404 for the rest."""

from __future__ import annotations

import pytest

from tests.api.conftest import API, bearer, load, token_for

pytestmark = pytest.mark.django_db

SEED = (
    "indicator,place,period,value,numerator,denominator,organization,shelter\n"
    "homeless,A,2022,120,,,,\n"
    "homeless,A,2023Q1,3,,,,\n"
    "secret-count,A,2021,7,,,,\n"
)


def get(client, path, user=None):
    headers = bearer(token_for(user)) if user is not None else {}
    return client.get(f"{API}{path}", headers=headers)


def test_anonymous_sees_public_initiatives_only(client, world):
    listed = get(client, "/initiatives").json()
    assert [i["slug"] for i in listed] == ["city"]
    assert listed[0] == {
        "slug": "city",
        "name": "City Shelter Network",
        "geography": "",
        "problem_statement": "",
        "vision": "",
        "is_public": True,
        "suppression_threshold": 10,
        "takes_part": False,
    }


def test_a_private_initiative_is_not_found_for_outsiders_and_seen_by_participants(client, world):
    for user in (None, world["outsider"], world["steward"]):
        response = get(client, "/initiatives/hidden", user)
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no initiative “hidden”."}
        assert get(client, "/initiatives/hidden/indicators", user).status_code == 404
        assert get(client, "/initiatives/hidden/observations", user).status_code == 404
    assert get(client, "/initiatives/hidden", world["hidden_admin"]).json()["takes_part"] is True
    slugs = [i["slug"] for i in get(client, "/initiatives", world["hidden_admin"]).json()]
    assert slugs == ["city", "hidden"]


def test_an_unknown_initiative_reads_like_a_private_one(client, world):
    response = get(client, "/initiatives/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no initiative “nowhere”."}


def test_private_indicators_are_for_participants_only(client, world):
    for user in (None, world["outsider"]):
        codes = [i["code"] for i in get(client, "/initiatives/city/indicators", user).json()]
        assert codes == ["homeless", "screened"]
        response = get(client, "/initiatives/city/indicators/secret-count", user)
        assert response.status_code == 404
        assert "secret-count" in response.json()["detail"]
    codes = [i["code"] for i in get(client, "/initiatives/city/indicators", world["member"]).json()]
    assert codes == ["homeless", "screened", "secret-count"]
    found = get(client, "/initiatives/city/indicators/secret-count", world["member"])
    assert found.status_code == 200


def test_an_indicator_is_described_with_exact_numbers(client, world):
    body = get(client, "/initiatives/city/indicators/screened").json()
    assert body == {
        "code": "screened",
        "name": "Screened",
        "definition": "",
        "unit": "percent",
        "rate_base": "100",
        "decimals": 1,
        "direction": "up",
        "level": "population",
        "performance_kind": "",
        "aggregation": "ratio",
        "numerator_label": "Children screened",
        "denominator_label": "Children eligible",
        "period_type": "year",
        "source": "",
        "is_public": True,
        "dimensions": [],
        "min_value": None,
        "max_value": None,
        "definition_version": 1,
    }
    assert get(client, "/initiatives/city/indicators/homeless").json()["dimensions"] == ["shelter"]


def test_unknown_indicator_is_named_in_the_404(client, world):
    response = get(client, "/initiatives/city/indicators/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no indicator “nope” in City Shelter Network."}


def test_places_with_their_parents(client, world):
    assert get(client, "/initiatives/city/places").json() == [
        {"code": "A", "name": "Place A", "level": "area", "parent": "R"},
        {"code": "B", "name": "Place B", "level": "area", "parent": "R"},
        {"code": "R", "name": "Place R", "level": "region", "parent": None},
    ]


def test_dimensions_with_their_members_in_order(client, world):
    assert get(client, "/initiatives/city/dimensions").json() == [
        {
            "code": "shelter",
            "name": "Shelter status",
            "members": [
                {"code": "sheltered", "name": "Sheltered"},
                {"code": "unsheltered", "name": "Unsheltered"},
            ],
        }
    ]


def test_periods_are_those_with_data_the_caller_may_see(client, world):
    world["homeless"].period_type = "quarter"  # allow the quarter row below
    world["homeless"].save()
    load(world["init"], SEED.replace("homeless,A,2022,120,,,,\n", ""))
    world["homeless"].period_type = "year"
    world["homeless"].save()
    load(world["init"], SEED.replace("homeless,A,2023Q1,3,,,,\n", ""))
    codes = [p["code"] for p in get(client, "/initiatives/city/periods").json()]
    assert codes == ["2022", "2023Q1"]  # 2021 has only the private indicator
    member = [p["code"] for p in get(client, "/initiatives/city/periods", world["member"]).json()]
    assert member == ["2021", "2022", "2023Q1"]
    quarters = get(client, "/initiatives/city/periods?type=quarter").json()
    assert quarters == [
        {"code": "2023Q1", "type": "quarter", "start": "2023-01-01", "end": "2023-03-31"}
    ]
    assert get(client, "/initiatives/city/periods?type=week").status_code == 422
    only = get(client, "/initiatives/city/periods?indicator=secret-count")
    assert only.status_code == 404


@pytest.mark.parametrize("path", ["/nowhere", "/initiatives/city/", "/initiatives/city/x/y"])
def test_an_unknown_address_answers_in_json(client, world, path):
    response = client.get(f"{API}{path}")
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"There is no API endpoint “{API}{path}”. The list is at /api/v1/docs."
    }
