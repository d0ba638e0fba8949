"""Small-cell suppression, against hand-worked tables."""

import random
from decimal import Decimal as D

import pytest

from backbone.analytics.suppression import (
    Cell,
    Reason,
    is_small,
    primary,
    suppress_group,
    suppress_table,
)

P, C = Reason.PRIMARY, Reason.COMPLEMENTARY


def count(key, n):
    """A count cell: the figure is the number of people."""
    return Cell(key, D(n), D(n))


def test_small_counts_are_suppressed_but_zero_is_not():
    cells = [count("zero", 0), count("one", 1), count("nine", 9), count("ten", 10)]
    assert primary(cells, 10) == {"one": P, "nine": P}
    assert not is_small(D(0), 10)
    assert not is_small(None, 10)


def test_a_cell_without_a_people_count_is_never_primary_suppressed():
    assert primary([Cell("rate", D("3.5"), None)], 10) == {}


def test_a_rate_is_checked_on_its_denominator():
    # 2 of 8 people (25 %): the figure is large, the group of people is not.
    assert primary([Cell("rate", D(25), D(8))], 10) == {"rate": P}


def test_one_small_part_forces_the_next_smallest_part_to_be_hidden():
    # 100 = 3 + 40 + 57: hiding only the 3 would let anyone compute 100 − 40 − 57.
    result = suppress_group(count("T", 100), [count("a", 3), count("b", 40), count("c", 57)], 10)
    assert result == {"a": P, "b": C}


def test_two_small_parts_protect_each_other():
    # 100 = 3 + 5 + 92: 3 + 5 = 8 is known, but not how it splits.
    result = suppress_group(count("T", 100), [count("a", 3), count("b", 5), count("c", 92)], 10)
    assert result == {"a": P, "b": P}


def test_zero_parts_stay_published():
    result = suppress_group(count("T", 50), [count("a", 0), count("b", 50)], 10)
    assert result == {}


def test_a_zero_part_is_not_used_as_the_complement_when_another_part_can_be():
    # Hiding the 0 beside the 3 would protect little: the 0 is easy to guess.
    result = suppress_group(count("T", 53), [count("a", 3), count("b", 0), count("c", 50)], 10)
    assert result == {"a": P, "c": C}


def test_with_only_a_zero_beside_it_the_total_is_hidden_instead():
    result = suppress_group(count("T", 12), [count("a", 3), count("b", 0)], 10)
    assert result == {"a": P, "T": C}


def test_a_single_small_part_hides_its_total_too():
    # The only part published (other categories not reported): it equals the total's share.
    result = suppress_group(count("T", 15), [count("a", 6)], 10)
    assert result == {"a": P, "T": C}


def test_a_single_part_and_its_small_total_are_both_primary():
    assert suppress_group(count("T", 4), [count("a", 4)], 10) == {"T": P, "a": P}


def test_a_hidden_total_with_all_parts_published_hides_the_smallest_part():
    # Rates: the total is based on 5 people, its parts report larger denominators (data as sent).
    total = Cell("T", D(20), D(5))
    result = suppress_group(total, [count("a", 30), count("b", 12)], 10)
    assert result == {"T": P, "b": C}


def test_without_a_published_total_only_primary_suppression_applies():
    assert suppress_group(None, [count("a", 3), count("b", 40)], 10) == {"a": P}


def test_ties_go_to_the_key_that_sorts_first_whatever_the_order_given():
    parts = [count("a", 3), count("c", 20), count("b", 20), count("d", 57)]
    assert suppress_group(count("T", 100), parts, 10) == {"a": P, "b": C}
    parts.reverse()
    assert suppress_group(count("T", 100), parts, 10) == {"a": P, "b": C}


def test_ties_between_keys_that_cannot_be_sorted_go_to_the_first_listed():
    parts = [count("small", 3), count(2, 20), count(("x",), 20)]
    assert suppress_group(count("T", 43), parts, 10) == {"small": P, 2: C}


def table(rows):
    """Cells and groups for a two-way table with row, column and grand totals.

    ``rows`` maps a row name to {column name: count}; keys are (row, column) with "all" for totals.
    """
    columns = list(next(iter(rows.values())))
    cells = []
    for r, by_column in rows.items():
        cells += [count((r, c), n) for c, n in by_column.items()]
        cells.append(count((r, "all"), sum(by_column.values())))
    for c in columns:
        cells.append(count(("all", c), sum(rows[r][c] for r in rows)))
    cells.append(count(("all", "all"), sum(sum(b.values()) for b in rows.values())))
    groups = [((r, "all"), [(r, c) for c in columns]) for r in rows]
    groups += [(("all", c), [(r, c) for r in rows]) for c in columns]
    groups += [
        (("all", "all"), [(r, "all") for r in rows]),
        (("all", "all"), [("all", c) for c in columns]),
    ]
    return cells, groups


def test_row_complement_forces_a_column_complement():
    #        c1  c2 | all
    #   r1    4  30 |  34      r1: the 4 is primary, so the 30 is hidden for the row;
    #   r2   25  50 |  75      c1: the 4 alone is hidden in its column, so the 25 is hidden;
    #   all  29  80 | 109      c2: the 30 alone is hidden in its column, so the 50 is hidden.
    cells, groups = table({"r1": {"c1": 4, "c2": 30}, "r2": {"c1": 25, "c2": 50}})
    assert suppress_table(cells, groups, 10) == {
        ("r1", "c1"): P,
        ("r1", "c2"): C,
        ("r2", "c1"): C,
        ("r2", "c2"): C,
    }


def test_passes_repeat_until_nothing_new_is_hidden():
    #        c1  c2  c3 | all
    #   r1    3  50  12 |  65
    #   r2   45  60  11 | 116
    #   r3   40  70  80 | 190
    # Pass 1 — rows: r1 hides 12 (next to the 3). Columns: c1 hides 40, c3 hides 11.
    # Pass 2 — rows: r2 now has only the 11 hidden, so hides 45; r3 only the 40, so hides 70.
    #          Columns: c2 now has only the 70 hidden, so hides 50.
    # Pass 3 — nothing new: every row and column has 0 or at least 2 hidden.
    cells, groups = table(
        {
            "r1": {"c1": 3, "c2": 50, "c3": 12},
            "r2": {"c1": 45, "c2": 60, "c3": 11},
            "r3": {"c1": 40, "c2": 70, "c3": 80},
        }
    )
    assert suppress_table(cells, groups, 10) == {
        ("r1", "c1"): P,
        ("r1", "c3"): C,
        ("r3", "c1"): C,
        ("r2", "c3"): C,
        ("r2", "c1"): C,
        ("r3", "c2"): C,
        ("r1", "c2"): C,
    }


def test_bad_groups_are_rejected():
    cells = [count("T", 10), count("a", 10)]
    with pytest.raises(ValueError, match="not in the table"):
        suppress_table(cells, [("T", ["a", "b"])], 10)
    with pytest.raises(ValueError, match="no parts"):
        suppress_table(cells, [("T", [])], 10)
    with pytest.raises(ValueError, match="also be one of its parts"):
        suppress_table(cells, [("T", ["T", "a"])], 10)
    with pytest.raises(ValueError, match="share the key"):
        suppress_table([*cells, count("a", 3)], [], 10)


def random_count(rng):
    roll = rng.random()
    if roll < 0.15:
        return 0
    if roll < 0.45:
        return rng.randint(1, 9)
    return rng.randint(10, 200)


def assert_safe(cells, groups, threshold, result):
    by_key = {cell.key: cell for cell in cells}
    small = {cell.key for cell in cells if cell.count is not None and 0 < cell.count < threshold}
    assert {key for key, reason in result.items() if reason == P} == small
    assert all(by_key[key].count != 0 for key, reason in result.items() if reason == P)
    if not small:
        assert result == {}
    for total, parts in groups:
        hidden = sum(key in result for key in [total, *parts])
        assert hidden != 1, (total, parts, result)


@pytest.mark.parametrize("seed", range(300))
def test_random_tables_never_leave_one_hidden_cell_in_an_equation(seed):
    rng = random.Random(seed)
    n_rows, n_columns = rng.randint(1, 4), rng.randint(1, 4)
    rows = {f"r{i}": {f"c{j}": random_count(rng) for j in range(n_columns)} for i in range(n_rows)}
    cells, groups = table(rows)
    rng.shuffle(groups)
    threshold = rng.choice([5, 10, 11])

    result = suppress_table(cells, groups, threshold)
    assert_safe(cells, groups, threshold, result)
    assert list(suppress_table(cells, groups, threshold).items()) == list(result.items())

    parts = [count(f"p{i}", random_count(rng)) for i in range(rng.randint(1, 6))]
    total = count("T", sum(p.value for p in parts))
    one_way = suppress_group(total, parts, threshold)
    assert_safe([total, *parts], [("T", [p.key for p in parts])], threshold, one_way)
