"""Learning from the figures through the API: signal or noise, turning the curve, equity gaps and
partners beside their peers — the pages' analyses, with the pages' permissions and suppression."""

from __future__ import annotations

import json

import pytest

from backbone.core.models import Organization
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.insights import peer_letters
from backbone.measurement.models import Level, Observation
from tests import factories as f
from tests.api.conftest import API, bearer, load, token_for

pytestmark = pytest.mark.django_db

# homeless at A: an XmR chart (13 points, at least 12 needed for limits) with one point far above.
XMR = [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 24]  # 2011 … 2023
# beds at A: 2 a year before the 2020 baseline, then below that trend.
BEDS = {2016: 10, 2017: 12, 2018: 14, 2019: 16, 2020: 17, 2021: 15}
SEED = "\n".join(
    [
        "indicator,place,period,value,numerator,denominator,organization,shelter",
        *(f"homeless,A,{2011 + i},{v},,,," for i, v in enumerate(XMR)),
        # homeless at B: 4 people in 2022 is a small number, hidden from the public.
        "homeless,B,2021,30,,,,",
        "homeless,B,2022,4,,,,",
        "homeless,B,2023,25,,,,",
        *(f"beds,A,{year},{v},,,," for year, v in BEDS.items()),
        # housed: a percent by shelter status. 3 of 5 in 2024 is a small group.
        "housed,A,2022,,600,900,,",
        "housed,A,2022,,400,500,,sheltered",
        "housed,A,2022,,200,400,,unsheltered",
        "housed,A,2023,,800,1000,,",
        "housed,A,2023,,450,500,,sheltered",
        "housed,A,2023,,350,500,,unsheltered",
        "housed,A,2024,,453,505,,",
        "housed,A,2024,,450,500,,sheltered",
        "housed,A,2024,,3,5,,unsheltered",
        # placed: a performance measure reported by four partners (three in 2024).
        "placed,A,2023,,9,10,CLINIC,",
        "placed,A,2023,,6,10,Other,",
        "placed,A,2023,,7,10,Third Org,",
        "placed,A,2023,,8,10,Fourth Org,",
        "placed,A,2024,,5,10,CLINIC,",
        "placed,A,2024,,10,10,Third Org,",
        "placed,A,2024,,7,10,Fourth Org,",
        "secret-count,A,2023,7,,,,",
    ]
)


@pytest.fixture
def seeded(world):
    init = world["init"]
    f.indicator(init, "beds", is_public=True, baseline_period=s.period_for("2020"))
    f.rate_indicator(init, "housed", dimensions=[world["shelter"]], is_public=True)
    f.rate_indicator(init, "placed", level=Level.PERFORMANCE, is_public=True)
    for name in ("Third Org", "Fourth Org"):
        f.partnership(init, f.organization(name))
    s.dimension_define(
        initiative=init, code="age", name="Age", members=[("child", "Child"), ("adult", "Adult")]
    )
    load(init, SEED)
    return world


def _letters(init) -> dict[str, str]:
    names = dict(Organization.objects.values_list("pk", "name"))
    reporting = Observation.objects.filter(indicator__code="placed", organization__isnull=False)
    ids = set(reporting.values_list("organization_id", flat=True))
    return {names[pk]: label for pk, label in peer_letters(init, ids).items()}


def get(client, path: str, user=None):
    headers = bearer(token_for(user)) if user is not None else {}
    return client.get(f"{API}/initiatives/{path}", headers=headers)


def ok(client, path: str, user=None) -> dict:
    response = get(client, path, user)
    assert response.status_code == 200, response.content
    return response.json()


# --- Signal or noise -------------------------------------------------------------------------


def test_an_xmr_chart_has_hand_checked_limits_and_flags_the_point_above_them(client, seeded):
    body = ok(client, "city/indicators/homeless/signals?place=A")
    assert (body["indicator"], body["place"], body["unit"], body["kind"]) == (
        "homeless",
        "A",
        "count",
        "xmr",
    )
    assert body["settings"] == {
        "shift_length": 8,
        "trend_length": 6,
        "baseline_size": 20,
        "min_points": 12,
        "sigma": "3",
    }
    (phase,) = body["phases"]
    # Mean = (6 × (10 + 12) + 24) / 13 = 156 / 13 = 12.
    # Moving ranges: eleven of |12 − 10| = 2, then |24 − 12| = 12: MR̄ = 34 / 12 = 2.833333.
    # Limits: 12 ± 2.66 × 34 / 12 = 12 ± 7.536667 → 4.463333 and 19.536667.
    # The moving-range chart's upper limit: 3.267 × 34 / 12 = 9.2565.
    assert (phase["kind"], phase["first_period"], phase["last_period"]) == ("xmr", "2011", "2023")
    assert (phase["centre"], phase["lower"], phase["upper"]) == ("12", "4.463333", "19.536667")
    assert (phase["mr_bar"], phase["mr_upper"], phase["sigma_z"]) == ("2.833333", "9.2565", None)
    assert phase["baseline_periods"] == [str(year) for year in range(2011, 2024)]
    assert phase["started_by"] == ""
    points = body["points"]
    assert [p["period"] for p in points] == [str(year) for year in range(2011, 2024)]
    assert [p["value"] for p in points] == [str(v) for v in XMR]
    assert [p["moving_range"] for p in points] == [None, *["2"] * 11, "12"]
    assert all(p["in_baseline"] and not p["excluded"] and not p["suppressed"] for p in points)
    assert {(p["centre"], p["lower"], p["upper"]) for p in points} == {
        ("12", "4.463333", "19.536667")
    }
    # 24 > 19.536667: outside the limits. No shift: a point on the centre line ends a run.
    assert [p["rules"] for p in points] == [[]] * 12 + [["outside"]]
    (signal,) = body["signals"]
    assert (signal["rule"], signal["periods"], signal["direction"], signal["phase"]) == (
        "outside",
        ["2023"],
        "up",
        0,
    )
    assert "2023" in signal["description"]
    assert body["summary"].startswith("1 signal: ")
    assert "XmR chart" in body["method"]


def test_the_shift_length_is_the_initiatives_setting(client, seeded):
    seeded["init"].shift_length = 6
    seeded["init"].save()
    body = ok(client, "city/indicators/homeless/signals?place=A")
    assert body["settings"]["shift_length"] == 6
    assert "6 or more points in a row" in body["method"]


def test_a_short_range_gets_a_run_chart_around_the_median(client, seeded):
    body = ok(client, "city/indicators/homeless/signals?place=A&from=2019&to=2023")
    # 10, 12, 10, 12, 24: five points are fewer than the 12 limits need.
    assert body["kind"] == "run"
    assert [p["period"] for p in body["points"]] == ["2019", "2020", "2021", "2022", "2023"]
    (phase,) = body["phases"]
    # Median of 10, 10, 12, 12, 24 = 12; the 3 points not on it: 10, 10, 24.
    assert (phase["centre"], phase["lower"], phase["upper"], phase["useful"]) == (
        "12",
        None,
        None,
        3,
    )
    # Runs (points on the median skipped): below, below, above → the longest is 2 long;
    # 1 crossing. The limit for 3 useful points: round(log₂ 3 + 3) = round(4.58) = 5.
    assert (phase["longest_run"], phase["crossings"], phase["longest_run_limit"]) == (2, 1, 5)
    assert body["signals"] == []


def test_a_hidden_figure_is_a_gap_in_the_chart_never_used(client, seeded, world):
    public = ok(client, "city/indicators/homeless/signals?place=B")
    assert [(p["period"], p["value"], p["suppressed"]) for p in public["points"]] == [
        ("2021", "30", False),
        ("2022", None, True),  # 4 people: below the threshold of 10
        ("2023", "25", False),
    ]
    assert not public["points"][1]["in_baseline"]
    assert public["phases"][0]["centre"] == "27.5"  # the median of 30 and 25 only
    assert '"4"' not in json.dumps(public)
    member = ok(client, "city/indicators/homeless/signals?place=B", world["member"])
    assert [p["value"] for p in member["points"]] == ["30", "4", "25"]
    assert member["phases"][0]["centre"] == "25"  # the median of 30, 4 and 25


def test_the_place_defaults_to_the_one_the_page_shows(client, seeded):
    body = ok(client, "city/indicators/beds/signals")
    assert body["place"] == "A"  # the smallest place that holds every figure
    assert ok(client, "city/indicators/homeless/signals")["place"] == "R"  # A and B


def test_signals_refuse_what_cannot_be_found_or_read(client, seeded, world):
    assert get(client, "city/indicators/secret-count/signals").status_code == 404
    assert get(client, "city/indicators/secret-count/signals", world["outsider"]).status_code == 404
    assert ok(client, "city/indicators/secret-count/signals?place=A", world["member"])["points"]
    missing = get(client, "city/indicators/nope/signals")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no indicator “nope” in City Shelter Network."}
    assert get(client, "city/indicators/homeless/signals?place=Q").status_code == 404
    assert get(client, "hidden/indicators/hidden-count/signals", world["outsider"]).status_code == (
        404
    )
    backwards = get(client, "city/indicators/homeless/signals?from=2023&to=2020")
    assert backwards.status_code == 422
    assert backwards.json() == {"detail": "“from” must be the same period as “to” or before it."}
    bad = get(client, "city/indicators/homeless/signals?from=2023Q5")
    assert bad.status_code == 422 and "2023Q5" in bad.json()["detail"]
    assert get(client, "city/indicators/homeless/signals?to=0000").status_code == 422


def test_an_indicator_without_figures_has_an_empty_chart(client, seeded):
    body = ok(client, "city/indicators/screened/signals")
    assert (body["place"], body["kind"], body["points"], body["phases"]) == (None, "run", [], [])
    assert body["summary"] == "No values to chart yet."


# --- Turn the curve --------------------------------------------------------------------------


def test_the_forecast_projects_the_trend_before_the_baseline(client, seeded):
    body = ok(client, "city/indicators/beds/forecast")
    assert (body["indicator"], body["place"], body["baseline_period"]) == ("beds", "A", "2020")
    assert (body["available"], body["reason"], body["fitted_count"]) == (True, "", 4)
    # 10, 12, 14, 16 in 2016 … 2019 lie on y = 2x − 4022: slope 2 a year, a perfect fit.
    assert (body["slope"], body["intercept"], body["r_squared"]) == ("2", "-4022", "1")
    rows = [
        (p["period"], p["actual"], p["forecast"], p["difference"], p["better"], p["fitted"])
        for p in body["points"]
    ]
    assert rows == [
        ("2016", "10", "10", None, None, True),
        ("2017", "12", "12", None, None, True),
        ("2018", "14", "14", None, None, True),
        ("2019", "16", "16", None, None, True),
        ("2020", "17", "18", "-1", True, False),  # 17 − 18: fewer beds needed, lower is better
        ("2021", "15", "20", "-5", True, False),
    ]
    assert body["summary"] == "In 2021, 15 against 20 forecast: 5 below the forecast (better)."
    assert "2016 to 2019" in body["method"]


def test_a_forecast_needs_a_baseline_period(client, seeded):
    response = get(client, "city/indicators/homeless/forecast")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "homeless has no baseline period, so there is no earlier trend to forecast "
        "from. The backbone team can set one on the indicator."
    }


def test_a_forecast_without_the_baseline_figure_or_enough_history_says_why(client, seeded):
    elsewhere = ok(client, "city/indicators/beds/forecast?place=B")
    assert (elsewhere["place"], elsewhere["available"], elsewhere["points"]) == ("B", False, [])
    assert elsewhere["reason"] == "There is no figure for the baseline period 2020 in Place B."
    beds = seeded["init"].indicators.get(code="beds")
    beds.baseline_period = s.period_for("2018")
    beds.save()
    short = ok(client, "city/indicators/beds/forecast")
    assert (short["available"], short["slope"], short["fitted_count"]) == (False, None, 0)
    assert short["reason"] == (
        "A forecast needs at least 3 values before 2018 from the same definition of the "
        "indicator; 2 can be used."
    )
    assert [p["actual"] for p in short["points"]] == ["10", "12", "14", "16", "17", "15"]
    assert get(client, "city/indicators/secret-count/forecast").status_code == 404


# --- Equity ----------------------------------------------------------------------------------


def _targets(world) -> None:
    init = world["init"]
    housed = init.indicators.get(code="housed")
    for members, period, value in [
        ({}, "2025", 95),
        ({"shelter": "sheltered"}, "2025", 95),
        ({"shelter": "unsheltered"}, "2024", 95),
    ]:
        s.target_set(
            actor=COMMAND_LINE,
            indicator=housed,
            period=s.period_for(period),
            value=value,
            breakdown=s.breakdown_for(init, members),
        )


def test_equity_gaps_their_trend_and_the_targets_by_hand(client, seeded):
    _targets(seeded)
    body = ok(client, "city/indicators/housed/equity?to=2023")
    assert (body["indicator"], body["place"], body["dimension"], body["latest_period"]) == (
        "housed",
        "A",
        "shelter",  # the indicator's only dimension, by default
        "2023",
    )
    assert body["confidence"] == "0.9"
    assert body["reference"] == {
        "group": "sheltered",
        "label": "Sheltered",
        "reason": "the best-off group (highest value, higher is better)",
    }
    sheltered, unsheltered = body["groups"]
    assert (sheltered["group"], sheltered["value"], sheltered["is_reference"]) == (
        "sheltered",
        "90",  # 450 / 500
        True,
    )
    assert (sheltered["difference"], sheltered["ratio"], sheltered["trend"]) == ("0", "1", None)
    # 350 / 500 = 70 %: 20 points below 90 %, 70 / 90 = 0.777778 of it.
    assert (unsheltered["value"], unsheltered["difference"], unsheltered["ratio"]) == (
        "70",
        "-20",
        "0.777778",
    )
    # Standard errors: √(0.9 × 0.1 / 500) × 100 = √1.8 and √(0.7 × 0.3 / 500) × 100 = √4.2;
    # of the difference √(1.8 + 4.2) = √6 = 2.449490. 20 > 1.645 × 2.449 = 4.03: larger than the
    # margin of error.
    assert (unsheltered["se"], unsheltered["distinguishable"], unsheltered["worse_off"]) == (
        "2.44949",
        True,
        True,
    )
    assert unsheltered["words"] == (
        "20.0 percentage points lower than Sheltered (reference); larger than the margin of error."
    )
    trend = unsheltered["trend"]
    # 2022: 200 / 400 = 50 % against 400 / 500 = 80 %, a gap of −30; 2023: −20. |−20| − |−30| =
    # −10, at least 10 % of 30: closing. Standard errors √9.45 (2022) and √6 (2023): the change of
    # 10 is more than 1.645 × √15.45 = 6.47.
    assert (trend["status"], trend["first_period"], trend["last_period"]) == (
        "closing",
        "2022",
        "2023",
    )
    assert (trend["first_gap"], trend["last_gap"], trend["change"]) == ("-30", "-20", "-10")
    assert trend["distinguishable"] is True
    assert trend["rule"].startswith("The gap is compared at the first and the latest period")
    everyone, sheltered_track, unsheltered_track = body["tracks"]
    # Everyone: 600 / 900 = 66.666667 % in 2022 towards 95 % by 2025: by 2023 one third of the
    # way, 66.666667 + 28.333333 / 3 = 76.111111; 80 % is on track.
    assert (everyone["group"], everyone["label"], everyone["latest"]) == (None, "Everyone", "80")
    assert (everyone["expected"], everyone["target"], everyone["on_track"]) == (
        "76.111111",
        "95",
        True,
    )
    # Sheltered: 80 → 95 by 2025, 85 expected by 2023; 90 is on track.
    assert (sheltered_track["expected"], sheltered_track["on_track"]) == ("85", True)
    # Unsheltered: 50 → 95 by 2024, half way by 2023: 72.5 expected; 70 is off track.
    assert (unsheltered_track["group"], unsheltered_track["expected"]) == ("unsheltered", "72.5")
    assert (unsheltered_track["latest"], unsheltered_track["on_track"]) == ("70", False)
    assert body["summary"] == "On track overall, but off track for Unsheltered."


def test_a_small_group_is_hidden_from_the_public_never_a_number(client, seeded, world):
    body = ok(client, "city/indicators/housed/equity?dimension=shelter")
    assert body["latest_period"] == "2024"
    # 3 of 5 unsheltered is too few people; sheltered is hidden with it (else the total minus
    # sheltered would give it away). No group is shown, so none is the reference.
    assert [(g["group"], g["value"], g["suppressed"]) for g in body["groups"]] == [
        ("sheltered", None, True),
        ("unsheltered", None, True),
    ]
    for group in body["groups"]:
        assert (group["difference"], group["ratio"], group["se"]) == (None, None, None)
    assert body["reference"] == {
        "group": None,
        "label": None,
        "reason": "no group has a figure shown",
    }
    assert body["groups"][1]["trend"]["status"] == "unknown"
    assert '"60"' not in json.dumps(body)  # 3 / 5 = 60 %
    member = ok(client, "city/indicators/housed/equity", world["member"])
    unsheltered = member["groups"][1]
    assert (unsheltered["value"], unsheltered["suppressed"], unsheltered["difference"]) == (
        "60",
        False,
        "-30",
    )


def test_equity_refuses_a_dimension_the_indicator_is_not_split_by(client, seeded):
    response = get(client, "city/indicators/housed/equity?dimension=age")
    assert response.status_code == 422
    assert response.json() == {"detail": "housed is not split by age."}
    assert get(client, "city/indicators/housed/equity?dimension=race").status_code == 404
    plain = get(client, "city/indicators/beds/equity")
    assert plain.status_code == 422
    assert plain.json() == {
        "detail": "beds is not split into groups, so there are no gaps to compare."
    }
    assert get(client, "city/indicators/secret-count/equity").status_code == 404


def test_equity_with_no_figures_in_the_range_is_empty(client, seeded):
    body = ok(client, "city/indicators/housed/equity?from=2025")
    assert (body["latest_period"], body["reference"], body["groups"], body["tracks"]) == (
        None,
        None,
        [],
        [],
    )


# --- Peers -----------------------------------------------------------------------------------


def _standings(period: dict) -> list[tuple]:
    return [
        (s["label"], s["named"], s["is_viewer"], s["value"], s["rank"], s["quartile"])
        for s in period["standings"]
    ]


def test_a_data_steward_sees_only_their_own_organization_named(client, seeded, world):
    body = ok(client, "city/indicators/placed/peers", world["steward"])
    assert (body["indicator"], body["all_named"]) == ("placed", False)
    first, second = body["periods"]
    # 2023: 60, 70, 80, 90. Median (70 + 80) / 2 = 75; quartiles at positions 3 × ¼ = 0.75 and
    # 3 × ¾ = 2.25: 60 + 0.75 × 10 = 67.5 and 80 + 0.25 × 10 = 82.5.
    assert (first["period"], first["count"], first["median"], first["q1"], first["q3"]) == (
        "2023",
        4,
        "75",
        "67.5",
        "82.5",
    )
    assert (first["low"], first["high"], first["suppressed_count"], first["missing_count"]) == (
        "60",
        "90",
        0,
        0,
    )
    # Letters by organization (a keyed hash, not the id order), the same in every period.
    letter = _letters(world["init"])
    # Rank r of 4 is in quartile ⌈4r / 4⌉ = r.
    assert _standings(first) == [
        ("Clinic", True, True, "90", 1, 1),
        (letter["Fourth Org"], False, False, "80", 2, 2),
        (letter["Third Org"], False, False, "70", 3, 3),
        (letter["Other"], False, False, "60", 4, 4),
    ]
    assert [s["from_median"] for s in first["standings"]] == ["15", "5", "-5", "-15"]
    assert {s["of"] for s in first["standings"]} == {4}
    # 2024: three partners: median 70, no quartiles.
    assert (second["period"], second["median"], second["q1"], second["q3"]) == (
        "2024",
        "70",
        None,
        None,
    )
    assert _standings(second) == [
        (letter["Third Org"], False, False, "100", 1, None),
        (letter["Fourth Org"], False, False, "70", 2, None),
        ("Clinic", True, True, "50", 3, None),
    ]
    text = json.dumps(body)
    for secret in ("Other", "Third Org", "Fourth Org", '"key"', '"organization"', '"id"'):
        assert secret not in text, secret
    assert set(first["standings"][0]) == {
        "label",
        "named",
        "is_viewer",
        "value",
        "suppressed",
        "rank",
        "of",
        "quartile",
        "from_median",
    }
    # The other partner's steward sees Other named and Clinic as a letter.
    theirs = ok(client, "city/indicators/placed/peers", world["other_steward"])
    assert [s["label"] for s in theirs["periods"][0]["standings"]] == [
        letter["Clinic"],
        letter["Fourth Org"],
        letter["Third Org"],
        "Other",
    ]


def test_the_backbone_sees_every_name(client, seeded, world):
    body = ok(client, "city/indicators/placed/peers", world["admin"])
    assert body["all_named"] is True
    assert [s["label"] for s in body["periods"][0]["standings"]] == [
        "Clinic",
        "Fourth Org",
        "Third Org",
        "Other",
    ]
    assert not any(s["is_viewer"] for s in body["periods"][0]["standings"])


def test_with_open_comparison_every_participant_sees_the_names(client, seeded, world):
    seeded["init"].open_comparison = True
    seeded["init"].save()
    body = ok(client, "city/indicators/placed/peers", world["member"])
    assert body["all_named"] is True
    assert [(s["label"], s["is_viewer"]) for s in body["periods"][1]["standings"]] == [
        ("Third Org", False),
        ("Fourth Org", False),
        ("Clinic", True),
    ]
    assert "every partner is named" in body["method"]


def test_peers_are_only_for_people_who_take_part_and_performance_measures(client, seeded, world):
    for user in (None, world["outsider"]):
        response = get(client, "city/indicators/placed/peers", user)
        assert response.status_code == 403
        assert response.json() == {
            "detail": "Only the people who take part in City Shelter Network can compare partners."
        }
    population = get(client, "city/indicators/homeless/peers", world["member"])
    assert population.status_code == 404
    assert population.json() == {
        "detail": "homeless is not a performance measure: partners are compared only on "
        "performance measures."
    }
    assert get(client, "city/indicators/nope/peers", world["member"]).status_code == 404
    assert get(client, "hidden/indicators/hidden-count/peers", world["outsider"]).status_code == (
        404
    )
    # The backbone admin of another initiative sees this public one but takes no part in it.
    assert get(client, "city/indicators/placed/peers", world["hidden_admin"]).status_code == 403
