"""Learning from the figures in a real browser, on the demo: signal or noise and turning the
curve on Ohio's homeless count, the equity page of exits to housing by race (on a desk and on a
phone), and a partner beside its peers. Every page is checked with axe once its charts are drawn.

The figures the pages show are checked against the same figures worked out here, independently,
from the approved values in the database (``statistics`` from the standard library)."""

from __future__ import annotations

import itertools
import re
import statistics
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import PHONE, SCREENSHOT_DIR, check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@demo.backbone.test"
STEWARD = "steward@demo.backbone.test"  # a data steward of Cincinnati/Hamilton County CoC
STEWARD_COC = "Cincinnati/Hamilton County CoC"
EXITS = "exits-to-permanent-housing"


def drawn(page: Page, spec: str) -> Locator:
    """The chart drawn from the JSON spec ``spec``, once Vega has drawn its SVG."""
    chart = page.locator(f"[data-chart='{spec}'][data-chart-ready]")
    expect(chart.locator("svg")).to_have_count(1)
    return chart


def section_screenshot(part: Locator, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    part.screenshot(path=str(SCREENSHOT_DIR / name))


def whole(value: float | Decimal, places: int = 0) -> str:
    """A figure as the pages show it: rounded half up, grouped (11,583; 38.7)."""
    step = Decimal(1).scaleb(-places)
    return f"{Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP):,}"


def ohio_counts() -> list[tuple[int, int, bool]]:
    """(year, approved count, not comparable) of Ohio's homeless count, from the selector."""
    from backbone.measurement.models import Breakdown, Indicator, Place
    from backbone.measurement.selectors import series

    indicator = Indicator.objects.get(code="people-homeless")
    ohio = Place.objects.get(initiative=indicator.initiative, code="OH")
    total = Breakdown.objects.get(initiative=indicator.initiative, key="")
    return [
        (int(p.period.code), int(p.aggregate.value), p.breaks_comparability)
        for p in series(indicator, ohio, total)
    ]


def shares(key: str, period: str) -> dict[str, Decimal]:
    """Each reporting organization's approved share (Σ numerators / Σ denominators × 100) of
    exits to housing for breakdown ``key``, and the same over all of them under "all"."""
    from backbone.measurement.models import Observation, ObservationStatus

    rows = Observation.objects.filter(
        indicator__code=EXITS,
        breakdown__key=key,
        period__code=period,
        status=ObservationStatus.APPROVED,
    ).values_list("organization__name", "numerator", "denominator")
    sums: dict[str, list[Decimal]] = {}
    for name, num, den in rows:
        for who in (name, "all"):
            pair = sums.setdefault(who, [Decimal(0), Decimal(0)])
            pair[0] += num
            pair[1] += den
    return {who: num / den * 100 for who, (num, den) in sums.items()}


# --- Signal or noise, turning the curve ------------------------------------------------------


def test_the_hud_count_shows_its_signals_and_how_far_the_curve_turned(page: Page, full_demo):
    sign_in(page, full_demo, ADMIN)
    visit(page, full_demo.initiative_url("indicators/people-homeless/"))
    drawn(page, "trend-spec")
    spc_chart = drawn(page, "spc-spec")
    drawn(page, "forecast-spec")
    check_a11y(page)

    # XmR limits worked out here from the 15 comparable years (2014 and 2021 are marked not
    # comparable): the mean, the mean moving range (joining the years either side of a gap),
    # and mean ± 2.66 × MR̄ — 11,583, 9,954 and 13,212.
    counts = ohio_counts()
    usable = [count for _year, count, excluded in counts if not excluded]
    assert [year for year, _c, excluded in counts if excluded] == [2014, 2021]
    mean = statistics.fmean(usable)
    mr_bar = statistics.fmean(abs(b - a) for a, b in itertools.pairwise(usable))
    limits = [whole(mean), whole(mean - 2.66 * mr_bar), whole(mean + 2.66 * mr_bar)]
    assert limits == ["11,583", "9,954", "13,212"]

    signals = page.get_by_role("region", name="Signal or noise?")
    expect(signals).to_contain_text("This XmR chart (individual values and moving ranges)")
    expect(signals.locator(".verdict")).to_have_text(
        "2 signals: 2012 above the upper limit; a shift below the centre line from 2015 to 2023."
    )
    listed = signals.locator("ul.signals li")
    expect(listed).to_have_text(
        [
            f"2012 is above the upper limit ({limits[2]}): a signal, not noise.",
            "8 points in a row below the centre line (2015 to 2023): a shift, not noise.",
        ]
    )
    table = signals.get_by_role("table", name=re.compile("signal-or-noise chart"))
    row_2012 = table.get_by_role("row", name=re.compile("^2012"))
    expect(row_2012.locator("td")).to_have_text(["13,977", *limits, re.compile("above the upper")])
    for year in ("2014", "2021"):
        expect(table.get_by_role("row", name=re.compile(f"^{year}"))).to_contain_text(
            "Not comparable: left out"
        )
    # The chart marks the same points: 2012 and the eight years of the shift are signals.
    points = spc_chart.locator("[aria-roledescription='point']")
    expect(points).to_have_count(len(counts))
    signal_points = spc_chart.locator(
        "[aria-roledescription='point'][aria-label*='Reading: Signal']"
    )
    expect(signal_points).to_have_count(9)
    expect(
        spc_chart.locator("[aria-label*='start: 2012;'][aria-label*='Reading: Signal']")
    ).to_have_count(1)
    section_screenshot(signals, "signal-or-noise.png")

    # The forecast worked out here: a least-squares line through the comparable years before
    # the 2019 baseline (2007–2018 without 2014), at 2023.
    before = [(year, count) for year, count, excluded in counts if year < 2019 and not excluded]
    line = statistics.linear_regression([y for y, _c in before], [c for _y, c in before])
    forecast_2023 = round(line.slope * 2023 + line.intercept)
    actual_2023 = next(count for year, count, _e in counts if year == 2023)
    assert (actual_2023, forecast_2023) == (11386, 9437)
    curve = page.get_by_role("region", name="Turning the curve")
    expect(curve.locator(".verdict")).to_have_text(
        f"In 2023, {actual_2023:,} against {forecast_2023:,} forecast: "
        f"{actual_2023 - forecast_2023:,} above the forecast (worse)."
    )
    expect(curve).to_contain_text(
        "A straight line fitted by least squares to the 11 values from 2007 to 2018"
    )
    forecast_table = curve.get_by_role("table", name=re.compile("beside the forecast"))
    expect(forecast_table.get_by_role("row", name=re.compile("^2023"))).to_contain_text(
        "worse than forecast"
    )
    expect(forecast_table.get_by_role("row", name=re.compile("^2019"))).to_contain_text(
        "better than forecast"
    )
    section_screenshot(curve, "turn-the-curve.png")


def test_the_signal_chart_reads_out_the_same_figures_as_its_table(page: Page, full_demo):
    visit(page, full_demo.initiative_url("indicators/people-homeless/"))
    chart = drawn(page, "spc-spec")
    point = chart.locator("[aria-roledescription='point'][aria-label*='start: 2012;']")
    expect(point).to_have_attribute("aria-label", re.compile("Centre line: 11,583;"))
    expect(point).to_have_attribute("aria-label", re.compile("Upper limit: 13,212;"))


# --- Equity ----------------------------------------------------------------------------------


def test_the_backbone_reads_the_gaps_between_groups(page: Page, full_demo):
    sign_in(page, full_demo, ADMIN)
    visit(page, full_demo.initiative_url(f"indicators/{EXITS}/equity/?by=race"))
    chart = drawn(page, "equity-spec")
    check_a11y(page)
    expect(
        page.get_by_role("heading", name="Equity: Exits to permanent housing (sample)")
    ).to_be_visible()

    # 2024 in Ohio, worked out here as Σ numerators / Σ denominators over every CoC's approved
    # figures: Black 38.7%, White 49.5% (the best-off group), so −10.8 points and 0.78.
    black, white = shares("race:black", "2024")["all"], shares("race:white", "2024")["all"]
    assert (whole(black, 1), whole(white, 1)) == ("38.7", "49.5")
    gaps = page.get_by_role("table", name=re.compile("beside the reference group in 2024"))
    expect(page.get_by_role("heading", name="Gaps in 2024, Ohio")).to_be_visible()
    row = gaps.get_by_role("row", name=re.compile("^Black or African American"))
    expect(row.locator("td").nth(0)).to_have_text(f"{whole(black, 1)}%")
    expect(row.locator("td").nth(1)).to_have_text(f"−{whole(white - black, 1)} percentage points")
    expect(row.locator("td").nth(2)).to_have_text(whole(black / white, 2))
    expect(row).to_contain_text("Stable: the gap went from 9.3 percentage points in 2021 to 10.8")
    expect(gaps.get_by_role("row", name=re.compile("^White Reference"))).to_contain_text("49.5%")
    expect(
        page.get_by_role("paragraph").filter(has_text=re.compile("^Reference group:"))
    ).to_have_text("Reference group: the best-off group (highest value, higher is better).")
    # One goal for everyone, a target for each group (55% by 2027 for everyone and for Black
    # households): both behind the straight path from the 2021 baseline.
    expect(page.get_by_role("region", name=re.compile("One goal for everyone"))).to_contain_text(
        "Off track overall and for every group that can be judged."
    )
    # Each group has its line in the chart, and the same figures are in the table below it.
    legend = chart.locator("[aria-roledescription='legend']")
    expect(legend).to_have_attribute("aria-label", re.compile("with 4 values"))
    over_time = page.get_by_role("table", name=re.compile("by period"))
    expect(over_time.get_by_role("row", name=re.compile("^2024"))).to_contain_text(
        f"{whole(black, 1)}%"
    )
    screenshot(page, "equity.png")


def test_the_equity_page_reads_well_on_a_phone(new_page, full_demo):
    page = new_page(viewport=PHONE)
    visit(page, full_demo.initiative_url(f"indicators/{EXITS}/equity/?by=race"))
    drawn(page, "equity-spec")
    check_a11y(page)
    expect(page.get_by_role("table", name=re.compile("beside the reference group"))).to_be_visible()
    # Nothing makes the page scroll sideways: wide tables scroll inside their own box.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


# --- Peers -----------------------------------------------------------------------------------


def test_a_partner_sees_itself_beside_peers_it_cannot_name(page: Page, full_demo):
    from backbone.core.models import Organization

    sign_in(page, full_demo, STEWARD)
    visit(page, full_demo.initiative_url(f"indicators/{EXITS}/peers/"))
    drawn(page, "peers-spec")
    check_a11y(page)

    # 2024 worked out here: each CoC's own share; the median of the nine.
    by_org = shares("", "2024")
    by_org.pop("all")
    assert len(by_org) == 9
    median = statistics.median(by_org.values())
    mine = by_org[STEWARD_COC]
    better = sum(1 for value in by_org.values() if value > mine)
    section = page.get_by_role("region", name="2024", exact=True)
    expect(section).to_contain_text(f"9 partners reported: median {whole(median, 1)}%.")
    table = section.get_by_role("table", name="Partners in 2024, best first")
    own = table.get_by_role("row", name=STEWARD_COC)
    expect(own.get_by_role("rowheader")).to_have_text(f"{STEWARD_COC} You")
    expect(own.locator(".badge")).to_have_text("You")
    expect(own.locator("td").nth(0)).to_have_text(f"{whole(mine, 1)}%")
    expect(own.locator("td").nth(1)).to_have_text(f"{better + 1} of 9")
    others = table.locator("tbody tr:not(.viewer) th")
    expect(others).to_have_count(8)
    expect(others).to_have_text([re.compile(r"^Partner [A-Z]$")] * 8)
    # No other partner's name is anywhere on the page.
    html = page.content()
    names = Organization.objects.filter(external_code__startswith="OH-").values_list(
        "name", flat=True
    )
    assert [name for name in names if name in html] == [STEWARD_COC]
    screenshot(page, "peers.png")
