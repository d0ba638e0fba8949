"""HUD Point-in-Time counts (shipped in ``data/``, see ``data/SOURCE.md``) as Backbone data.

Places: the United States → states (and DC, territories) → Continuums of Care. One indicator,
people experiencing homelessness, with two dimensions: shelter status (sheltered, unsheltered) and
household type (individuals, people in families). HUD's 2021 waiver of unsheltered counts is
carried as annotations: one for the year, and one on every CoC that counted sheltered people only
(in 2021, and in the other years where a CoC did a sheltered-only count).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from backbone.core.models import Initiative
from backbone.measurement.models import (
    Aggregation,
    Annotation,
    Direction,
    Indicator,
    Level,
    Observation,
    ObservationChange,
    ObservationStatus,
    Place,
    Unit,
)
from backbone.measurement.periods import PeriodType
from backbone.measurement.services import (
    breakdown_for,
    dimension_define,
    period_for,
    snapshot,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
COC_FILE = DATA_DIR / "hud_pit_coc_2007_2023.csv.gz"
STATE_FILE = DATA_DIR / "hud_pit_state_panel.csv"
INDICATOR_CODE = "people-homeless"
SHELTERED_ONLY = "Sheltered-Only Count"
# State, district and territory names for the postal codes that start every CoC number.
STATE_NAMES = {
    "AK": "Alaska",
    "AL": "Alabama",
    "AR": "Arkansas",
    "AZ": "Arizona",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DC": "District of Columbia",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "GU": "Guam",
    "HI": "Hawaii",
    "IA": "Iowa",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "MA": "Massachusetts",
    "MD": "Maryland",
    "ME": "Maine",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MO": "Missouri",
    "MP": "Northern Mariana Islands",
    "MS": "Mississippi",
    "MT": "Montana",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "NE": "Nebraska",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NV": "Nevada",
    "NY": "New York",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "PR": "Puerto Rico",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VA": "Virginia",
    "VI": "U.S. Virgin Islands",
    "VT": "Vermont",
    "WA": "Washington",
    "WI": "Wisconsin",
    "WV": "West Virginia",
    "WY": "Wyoming",
}
LOAD_REASON = "Loaded from HUD's Point-in-Time count (demo data)"

# HUD measure → breakdown members ({} is the total).
MEASURES: dict[str, dict[str, str]] = {
    "Overall.Homeless": {},
    "Sheltered.Total.Homeless": {"shelter": "sheltered"},
    "Unsheltered.Homeless": {"shelter": "unsheltered"},
    "Overall.Homeless.Individuals": {"household": "individuals"},
    "Overall.Homeless.People.in.Families": {"household": "families"},
}
YEAR_NOTE = (
    "2021: because of COVID-19, HUD let Continuums of Care skip the count of people sleeping "
    "outside; many counted only people in shelters. 2021 totals are not comparable with other "
    "years."
)
COC_NOTE = (
    "{year}: this Continuum of Care counted sheltered people only (no count of people sleeping "
    "outside), so its total is not comparable with years that include them."
)


def coc_rows() -> Iterator[dict[str, str]]:
    with gzip.open(COC_FILE, "rt", newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def coc_names() -> dict[str, str]:
    """CoC number → its name in the latest year it appears, sorted by number."""
    latest: dict[str, tuple[int, str]] = {}
    for row in coc_rows():
        code, year = row["CoC Number"], int(row["Year"])
        if code not in latest or year >= latest[code][0]:
            latest[code] = (year, row["CoC Name"])
    return {code: latest[code][1] for code in sorted(latest)}


def state_totals() -> dict[tuple[str, int], int]:
    """(state code or "Total", year) → overall homeless, as published in the state panel."""
    with open(STATE_FILE, newline="", encoding="utf-8") as f:
        return {
            (row["state"], int(row["year"])): int(row["overall_homeless"])
            for row in csv.DictReader(f)
        }


@dataclass(frozen=True)
class HudLoad:
    indicator: Indicator
    observations: int
    skipped: int


@transaction.atomic
def load_hud(initiative: Initiative) -> HudLoad:
    """Load every CoC count into ``initiative`` (idempotent: an existing load is left as is)."""
    existing = Indicator.objects.filter(initiative=initiative, code=INDICATOR_CODE).first()
    if existing is not None:
        return HudLoad(existing, existing.observations.count(), 0)
    shelter = dimension_define(
        initiative=initiative,
        code="shelter",
        name="Shelter status",
        members=[("sheltered", "Sheltered"), ("unsheltered", "Unsheltered")],
    )
    household = dimension_define(
        initiative=initiative,
        code="household",
        name="Household type",
        members=[("individuals", "Individuals"), ("families", "People in families")],
    )
    indicator = Indicator.objects.create(
        initiative=initiative,
        code=INDICATOR_CODE,
        name="People experiencing homelessness",
        definition=(
            "People counted as homeless on a single night in late January — in shelters, in "
            "transitional housing, or sleeping outside — by HUD's Point-in-Time count."
        ),
        unit=Unit.COUNT,
        direction=Direction.LOWER_IS_BETTER,
        level=Level.POPULATION,
        aggregation=Aggregation.SUM,
        period_type=PeriodType.YEAR,
        source="U.S. Department of Housing and Urban Development, PIT Counts by CoC, 2007–2023",
        is_public=True,
    )
    indicator.dimensions.set([shelter, household])

    names = coc_names()
    nation = Place.objects.create(
        initiative=initiative, code="US", name="United States", level="nation"
    )
    states: dict[str, Place] = {}
    cocs: dict[str, Place] = {}
    for code, name in names.items():
        state_code = code.split("-")[0]
        if state_code not in states:
            states[state_code] = Place.objects.create(
                initiative=initiative,
                code=state_code,
                name=STATE_NAMES.get(state_code, state_code),
                level="state",
                parent=nation,
            )
        cocs[code] = Place.objects.create(
            initiative=initiative, code=code, name=name, level="CoC", parent=states[state_code]
        )
    breakdowns = {
        measure: breakdown_for(initiative, members) for measure, members in MEASURES.items()
    }
    periods: dict[str, object] = {}
    rows, skipped, sheltered_only = [], 0, set()
    for row in coc_rows():
        year = row["Year"]
        if year not in periods:
            periods[year] = period_for(year)
        if row["Count Types"] == SHELTERED_ONLY:
            sheltered_only.add((row["CoC Number"], year))
        count = row["Count"].strip()
        if not count.isdigit():
            skipped += 1
            continue
        rows.append(
            Observation(
                indicator=indicator,
                place=cocs[row["CoC Number"]],
                period=periods[year],
                breakdown=breakdowns[row["Homelessness.Type"]],
                value=Decimal(count),
                status=ObservationStatus.APPROVED,
            )
        )
    Observation.objects.bulk_create(rows, batch_size=2000)
    # Every value has its history from version 1, as if recorded through the services.
    ObservationChange.objects.bulk_create(
        (
            ObservationChange(observation=obs, version=1, after=snapshot(obs), reason=LOAD_REASON)
            for obs in rows
        ),
        batch_size=2000,
    )
    if "2021" in periods:
        notes = [
            Annotation(
                indicator=indicator,
                period=periods["2021"],
                text=YEAR_NOTE,
                breaks_comparability=True,
            )
        ]
        notes += [
            Annotation(
                indicator=indicator,
                period=periods[year],
                place=cocs[code],
                text=COC_NOTE.format(year=year),
                breaks_comparability=True,
            )
            for code, year in sorted(sheltered_only)
        ]
        Annotation.objects.bulk_create(notes)
    return HudLoad(indicator, len(rows), skipped)
