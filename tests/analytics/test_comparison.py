"""Peer comparison, against hand-computed medians, quartiles and ranks."""

import statistics
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.analytics.comparison import (
    PeerSummary,
    PeerValue,
    Standing,
    anonymous_labels,
    compare,
    method,
    over_time,
    quantile,
)
from backbone.analytics.progress import Direction

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


def peers(*values, suppressed=()):
    """Partners 1, 2, 3 … named "Org 1", "Org 2" … with these figures."""
    return [
        PeerValue(key, f"Org {key}", None if v is None else D(v), key in suppressed)
        for key, v in enumerate(values, start=1)
    ]


def by_key(summary: PeerSummary) -> dict:
    return {s.key: s for s in summary.standings}


# ----------------------------------------------------------------------------- quantile


def test_quartiles_of_one_to_four_match_excel_quartile_inc():
    # Type 7: h = (n − 1)·q with n = 4.
    # q = .25: h = 0.75 → 1 + 0.75 × (2 − 1) = 1.75 (Excel QUARTILE.INC({1,2,3,4},1) = 1.75)
    # q = .50: h = 1.5  → 2 + 0.5 × (3 − 2) = 2.5
    # q = .75: h = 2.25 → 3 + 0.25 × (4 − 3) = 3.25
    values = [D(4), D(2), D(1), D(3)]  # order does not matter
    assert quantile(values, 0.25) == D("1.75")
    assert quantile(values, 0.5) == D("2.5")
    assert quantile(values, 0.75) == D("3.25")


def test_quartiles_of_a_textbook_set():
    # 7, 15, 36, 39, 40, 41 (n = 6, so h = 5q):
    # q1: h = 1.25 → 15 + 0.25 × (36 − 15) = 15 + 5.25 = 20.25
    # median: h = 2.5 → 36 + 0.5 × (39 − 36) = 37.5 = the mean of the middle two
    # q3: h = 3.75 → 39 + 0.75 × (40 − 39) = 39.75
    values = [D(v) for v in (7, 15, 36, 39, 40, 41)]
    assert quantile(values, 0.25) == D("20.25")
    assert quantile(values, 0.5) == D("37.5")
    assert quantile(values, 0.75) == D("39.75")


def test_quantile_ends_are_the_minimum_and_maximum_and_one_value_is_every_quantile():
    values = [D(5), D(-2), D(9)]
    assert quantile(values, 0) == D(-2)
    assert quantile(values, 1) == D(9)
    assert quantile(values, 0.5) == D(5)  # odd count: the middle value itself
    assert {quantile([D(7)], q) for q in (0, 0.25, 0.5, 1)} == {D(7)}


def test_quantile_refuses_no_values_and_q_outside_zero_to_one():
    with pytest.raises(ValueError):
        quantile([], 0.5)
    with pytest.raises(ValueError):
        quantile([D(1)], 1.5)
    with pytest.raises(ValueError):
        quantile([D(1)], -0.1)


def test_quantile_keeps_no_trailing_zeros_from_interpolation():
    # 60, 70, 80, 90: q1 at h = 0.75 → 60 + 0.75 × 10 = 67.5 (not 67.50)
    assert str(quantile([D(60), D(70), D(80), D(90)], 0.25)) == "67.5"
    assert str(quantile([D(60), D(70), D(80)], 0.5)) == "70"


decimals = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False)


@PROPERTY
@given(st.lists(decimals, min_size=1, max_size=30), st.floats(0, 1), st.floats(0, 1))
def test_quantile_is_monotone_in_q_and_lies_between_min_and_max(values, a, b):
    low, high = sorted((a, b))
    assert min(values) <= quantile(values, low) <= quantile(values, high) <= max(values)


@PROPERTY
@given(st.lists(decimals, min_size=2, max_size=30))
def test_quartiles_agree_with_the_standard_library_inclusive_method(values):
    # statistics.quantiles(method="inclusive") is the same type 7 definition.
    expected = statistics.quantiles(values, n=4, method="inclusive")
    assert [quantile(values, q) for q in (0.25, 0.5, 0.75)] == expected
    assert quantile(values, 0.5) == statistics.median(values)


# ----------------------------------------------------------------------------- labels


def test_anonymous_labels_run_like_spreadsheet_columns():
    keys = list(range(703))
    labels = anonymous_labels(keys)
    assert [labels[k] for k in (0, 1, 25, 26, 27, 51, 52)] == [
        "Partner A",
        "Partner B",
        "Partner Z",
        "Partner AA",
        "Partner AB",
        "Partner AZ",
        "Partner BA",
    ]
    # 26 one-letter + 26 × 26 = 676 two-letter labels: index 701 is the last, ZZ; 702 is AAA
    assert labels[701] == "Partner ZZ"
    assert labels[702] == "Partner AAA"


def test_anonymous_labels_follow_the_order_given_and_a_repeated_key_keeps_its_letter():
    assert anonymous_labels([30, 10, 30, 20]) == {
        30: "Partner A",
        10: "Partner B",
        20: "Partner C",
    }
    assert anonymous_labels([]) == {}


@PROPERTY
@given(st.lists(st.integers(), max_size=800))
def test_anonymous_labels_are_unique(keys):
    labels = anonymous_labels(keys)
    assert set(labels) == set(keys)
    assert len(set(labels.values())) == len(labels)


# ----------------------------------------------------------------------------- compare


def test_ranks_ties_quartiles_median_and_distance_from_median_higher_is_better():
    # Up is better. Sorted low → high: 40, 50, 60, 70, 85, 85, 85, 90 (n = 8, h = 7q)
    # median: h = 3.5 → 70 + 0.5 × (85 − 70) = 77.5
    # q1: h = 1.75 → 50 + 0.75 × (60 − 50) = 57.5;  q3: h = 5.25 → 85 + 0.25 × 0 = 85
    # Ranks best first: 90 → 1; 85 ×3 → 2, 2, 2; 70 → 5; 60 → 6; 50 → 7; 40 → 8
    # Quartile ⌈4r/8⌉: r 1 → ⌈0.5⌉ = 1; r 2 → ⌈1⌉ = 1; r 5 → ⌈2.5⌉ = 3; r 6 → ⌈3⌉ = 3;
    # r 7 → ⌈3.5⌉ = 4; r 8 → ⌈4⌉ = 4. The tie fills quartile 1, so quartile 2 is empty.
    summary = compare("2023", peers(70, 85, 40, 90, 85, 60, 85, 50), direction=Direction.UP)
    assert (summary.label, summary.count) == ("2023", 8)
    assert (summary.median, summary.q1, summary.q3) == (D("77.5"), D("57.5"), D(85))
    assert (summary.low, summary.high) == (D(40), D(90))
    table = [(s.key, s.value, s.rank, s.quartile) for s in summary.standings]
    assert table == [
        (4, D(90), 1, 1),
        (2, D(85), 2, 1),  # tied figures in key order
        (5, D(85), 2, 1),
        (7, D(85), 2, 1),
        (1, D(70), 5, 3),
        (6, D(60), 6, 3),
        (8, D(50), 7, 4),
        (3, D(40), 8, 4),
    ]
    assert {s.of for s in summary.standings} == {8}
    assert by_key(summary)[4].from_median == D("12.5")  # 90 − 77.5
    assert by_key(summary)[3].from_median == D("-37.5")  # 40 − 77.5


def test_lower_is_better_ranks_the_lowest_first():
    # Down is better: 12 → 1, 15 → 2, 20 → 3, 31 → 4, 40 → 5 (n = 5)
    # Quartile ⌈4r/5⌉: ⌈0.8⌉ = 1, ⌈1.6⌉ = 2, ⌈2.4⌉ = 3, ⌈3.2⌉ = 4, ⌈4⌉ = 4
    # Median: h = 2 → 20; q1: h = 1 → 15; q3: h = 3 → 31
    summary = compare("Q1", peers(20, 40, 12, 31, 15), direction="down")
    assert [(s.value, s.rank, s.quartile) for s in summary.standings] == [
        (D(12), 1, 1),
        (D(15), 2, 2),
        (D(20), 3, 3),
        (D(31), 4, 4),
        (D(40), 5, 4),
    ]
    assert (summary.median, summary.q1, summary.q3) == (D(20), D(15), D(31))


def test_the_same_figures_reversed_in_direction_reverse_the_ranks():
    up = by_key(compare("p", peers(3, 1, 2, 5, 4), direction="up"))
    down = by_key(compare("p", peers(3, 1, 2, 5, 4), direction="down"))
    for key in up:
        assert up[key].rank + down[key].rank == 6  # no ties: r_up + r_down = n + 1


def test_suppressed_figures_are_left_out_of_median_quartiles_and_ranks_and_not_shown():
    # Counted: 80, 70, 70, 60 (4 figures). Sorted: 60, 70, 70, 80; median h = 1.5 → 70
    # q1: h = 0.75 → 60 + 0.75 × 10 = 67.5; q3: h = 2.25 → 70 + 0.25 × 10 = 72.5
    # Ranks: 80 → 1, 70 → 2, 70 → 2, 60 → 4; quartiles ⌈4r/4⌉ = r: 1, 2, 2, 4
    # Partner 5's figure, 9, is suppressed: had it counted the median would be 70 and the low 9.
    summary = compare(
        "2023", peers(80, 70, 70, 60, 9, None, suppressed={5}), direction="up", viewer={3}
    )
    assert (summary.count, summary.suppressed, summary.missing) == (4, 1, 1)
    assert (summary.median, summary.q1, summary.q3) == (D(70), D("67.5"), D("72.5"))
    assert (summary.low, summary.high) == (D(60), D(80))
    rows = [(s.key, s.label, s.rank, s.quartile, s.from_median) for s in summary.standings]
    assert rows == [
        (1, "Partner A", 1, 1, D(10)),
        (2, "Partner B", 2, 2, D(0)),
        (3, "Org 3", 2, 2, D(0)),
        (4, "Partner D", 4, 4, D(-10)),
        (5, "Partner E", None, None, None),  # suppressed first among the unranked
        (6, "Partner F", None, None, None),  # then no figure
    ]
    hidden = by_key(summary)[5]
    assert (hidden.suppressed, hidden.value, hidden.of) == (True, None, 4)
    assert by_key(summary)[6].suppressed is False
    assert [s.key for s in summary.viewer_standings] == [3]
    assert by_key(summary)[3].is_viewer and by_key(summary)[3].named


def test_fewer_than_four_figures_give_no_quartiles():
    # 10, 20, 30: median 20, ranks 1, 2, 3 (up), but no quarters of three partners.
    summary = compare("p", peers(10, 20, 30), direction="up")
    assert (summary.median, summary.q1, summary.q3) == (D(20), None, None)
    assert [(s.rank, s.quartile) for s in summary.standings] == [(1, None), (2, None), (3, None)]


def test_a_measure_with_no_better_direction_is_not_ranked_and_lists_highest_first():
    summary = compare("p", peers(10, None, 30, 20, 25), direction=Direction.NEUTRAL)
    assert [s.value for s in summary.standings] == [D(30), D(25), D(20), D(10), None]
    assert {(s.rank, s.quartile, s.of) for s in summary.standings} == {(None, None, 0)}
    # Still described: 10, 20, 25, 30 → median h = 1.5 → 22.5; from median 30 − 22.5 = 7.5
    assert summary.median == D("22.5")
    assert summary.standings[0].from_median == D("7.5")
    assert (summary.q1, summary.q3) == (D("17.5"), D("26.25"))  # h = .75 → 17.5; h = 2.25


def test_no_partners_one_partner_and_all_equal():
    empty = compare("p", [], direction="up")
    assert (empty.count, empty.median, empty.q1, empty.low, empty.standings) == (
        0,
        None,
        None,
        None,
        (),
    )

    one = compare("p", peers(42), direction="up", viewer={1})
    assert (one.median, one.low, one.high, one.q1) == (D(42), D(42), D(42), None)
    assert one.standings == (Standing(1, "Org 1", True, True, D(42), False, 1, 1, None, D(0)),)

    # Five equal figures: all share rank 1, so all are in the best quarter (⌈4·1/5⌉ = 1).
    same = compare("p", peers(7, 7, 7, 7, 7), direction="down")
    assert {(s.rank, s.quartile, s.from_median) for s in same.standings} == {(1, 1, D(0))}
    assert (same.median, same.q1, same.q3) == (D(7), D(7), D(7))


def test_only_suppressed_or_missing_figures():
    summary = compare("p", peers(5, None, suppressed={1}), direction="up")
    assert (summary.count, summary.median, summary.low) == (0, None, None)
    assert [(s.key, s.rank, s.of) for s in summary.standings] == [(1, None, 0), (2, None, 0)]


def test_ties_are_found_across_equal_decimals_written_differently():
    summary = compare("p", [PeerValue(1, "a", D("70.0")), PeerValue(2, "b", D(70))], direction="up")
    assert [s.rank for s in summary.standings] == [1, 1]


def test_open_comparison_names_everyone():
    summary = compare("p", peers(1, 2, 3), direction="up", open_comparison=True)
    assert [(s.label, s.named, s.is_viewer) for s in summary.standings] == [
        ("Org 3", True, False),
        ("Org 2", True, False),
        ("Org 1", True, False),
    ]


def test_a_viewer_with_several_organizations_sees_each_by_name():
    summary = compare("p", peers(1, 2, 3, 4), direction="up", viewer={2, 4})
    labels = {s.key: s.label for s in summary.standings}
    assert labels == {1: "Partner A", 2: "Org 2", 3: "Partner C", 4: "Org 4"}


def test_given_labels_are_used_and_a_key_without_one_gets_the_next_free_letter():
    given_labels = {1: "Partner B", 2: "Partner A"}
    summary = compare("p", peers(1, 2, 3), direction="up", labels=given_labels)
    assert {s.key: s.label for s in summary.standings} == {
        1: "Partner B",
        2: "Partner A",
        3: "Partner C",
    }


def test_keys_that_cannot_be_sorted_are_lettered_in_the_order_given():
    summary = compare(
        "p",
        [PeerValue("x", "X", D(1)), PeerValue(5, "Five", D(2))],
        direction="up",
    )
    assert {s.key: s.label for s in summary.standings} == {"x": "Partner A", 5: "Partner B"}


def test_over_time_keeps_each_partner_letter_across_periods():
    # Partner 3 reports only in 2023; letters come from all keys of all periods (1, 2, 3),
    # so partner 2 is "Partner B" in 2022 too, although only two partners reported then.
    result = over_time(
        [
            ("2022", [PeerValue(2, "Two", D(5)), PeerValue(1, "One", D(4))]),
            ("2023", [PeerValue(3, "Three", D(9)), PeerValue(2, "Two", D(8))]),
        ],
        direction="up",
        viewer={1},
    )
    assert [r.label for r in result] == ["2022", "2023"]
    assert [(s.key, s.label) for s in result[0].standings] == [(2, "Partner B"), (1, "One")]
    assert [(s.key, s.label) for s in result[1].standings] == [(3, "Partner C"), (2, "Partner B")]
    # Without over_time, 2023 alone would letter partner 2 as "Partner A".
    alone = compare("2023", [PeerValue(3, "T", D(9)), PeerValue(2, "T", D(8))], direction="up")
    assert alone.standings[1].label == "Partner A"


def test_over_time_of_nothing_is_nothing():
    assert over_time([], direction="up") == []


# Each partner has a unique int key, a figure or none, and maybe a suppression flag.
partner_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(-50, 50).map(D)),
        st.booleans(),
    ),
    max_size=12,
).map(lambda rows: [PeerValue(k, f"Org {k}", v, s) for k, (v, s) in enumerate(rows)])


@PROPERTY
@given(partner_rows, st.randoms(use_true_random=False), st.sampled_from(list(Direction)))
def test_compare_does_not_depend_on_the_order_partners_are_given(rows, rnd, direction):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert compare("p", shuffled, direction=direction) == compare("p", rows, direction=direction)


@PROPERTY
@given(partner_rows, st.sampled_from([Direction.UP, Direction.DOWN]))
def test_rank_is_one_plus_the_number_of_strictly_better_figures(rows, direction):
    summary = compare("p", rows, direction=direction)
    counted = [r.value for r in rows if not r.suppressed and r.value is not None]
    sign = 1 if direction == Direction.UP else -1
    for s in summary.standings:
        if s.suppressed or s.value is None:
            assert (s.rank, s.quartile, s.from_median) == (None, None, None)
            continue
        assert s.rank == 1 + sum(1 for v in counted if sign * v > sign * s.value)
        assert s.of == len(counted)
        if len(counted) >= 4:
            # rank r lies in quarter q: (q − 1)·n/4 < r ≤ q·n/4
            assert (s.quartile - 1) * len(counted) < 4 * s.rank <= s.quartile * len(counted)
        else:
            assert s.quartile is None
    ranks = [s.rank for s in summary.standings if s.rank is not None]
    assert ranks == sorted(ranks)  # best first
    assert len(summary.standings) == len(rows)


def test_method_says_how_it_is_worked_out():
    up = method("up")
    assert "Rank 1 is the highest figure, because higher is better." in up
    assert "QUARTILE.INC" in up
    assert "at least four partners" in up
    assert "(1, 2, 2, 4)" in up
    assert "cannot be worked out" in up
    assert "shown by a letter" in up
    assert "Rank 1 is the lowest figure, because lower is better." in method(Direction.DOWN)
    neutral = method("neutral")
    assert "not ranked" in neutral and "Rank 1" not in neutral
    assert "every partner is named" in method("up", open_comparison=True)
