"""Hiding small numbers in public views so that nobody can be identified.

Pure functions on plain values; no database, no web. Two kinds of hiding:

* **Primary suppression** — a figure based on fewer people than the initiative's threshold (say
  10) is hidden. A zero is *not* hidden: it reveals nobody, and hiding zeros would hide most of a
  sparse table for no gain (common public-health practice).
* **Complementary suppression** — a published total and its published parts form an equation,
  total = part₁ + part₂ + …; if exactly one of its figures is hidden, anyone can work it out by
  subtraction. So whenever an equation has exactly one hidden figure, one more is hidden: the
  smallest other part with people in it (ties go to the part whose key sorts first), else the
  total. Every equation then has either no hidden figures or at least two.

Which people-count a figure is based on is the caller's choice (``Cell.count``): for a count it is
the value itself, for a rate its denominator. Cells that share figures — the rows and columns of a
table, or two tables published side by side — must be suppressed together in one
:func:`suppress_table` call, or a figure hidden in one can be recovered from the other.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Reason(StrEnum):
    PRIMARY = "primary"  # based on too few people
    COMPLEMENTARY = "complementary"  # hidden so that a primary cell cannot be worked out


@dataclass(frozen=True)
class Cell:
    """One published figure: its key, its value and the number of people it is based on.

    ``count`` ``None`` means there is no people-count to check, so the cell is never primary
    suppressed (it can still be hidden as a complement).
    """

    key: Hashable
    value: Decimal | None
    count: Decimal | None = None


Group = tuple[Hashable, Sequence[Hashable]]  # (total key, part keys): total = Σ parts


def is_small(count: Decimal | int | None, threshold: Decimal | int) -> bool:
    """True for a count of at least one person but fewer than ``threshold``; never for zero."""
    return count is not None and 0 < count < threshold


def primary(cells: Iterable[Cell], threshold: Decimal | int) -> dict[Hashable, Reason]:
    """The cells based on too few people: 0 < count < threshold.

    Zero is not suppressed (it identifies nobody), nor is a cell without a count.
    """
    return {cell.key: Reason.PRIMARY for cell in cells if is_small(cell.count, threshold)}


def _ranks(keys: Sequence[Hashable]) -> dict[Hashable, int]:
    """Tie-break order: keys sorted when they can be compared, else the order given."""
    try:
        ordered = sorted(keys)  # type: ignore[type-var]
    except TypeError:
        ordered = list(keys)
    return {key: index for index, key in enumerate(ordered)}


def _complement(
    total: Cell, parts: Sequence[Cell], hidden: dict[Hashable, Reason]
) -> Hashable | None:
    """The key to hide so this equation does not have exactly one hidden figure, or ``None``.

    Preference: the smallest part with people in it (hiding a big one protects best but costs
    most; the smallest is the usual compromise), then a part without a count, then the total, and
    a zero part last — a hidden zero is easy to guess (often no one *can* be in that category), so
    it protects the other hidden figure poorly.
    """
    members = [total, *parts]
    if sum(cell.key in hidden for cell in members) != 1:
        return None
    rank = _ranks([cell.key for cell in parts])

    def preference(cell: Cell) -> tuple[int, Decimal, int]:
        if cell is total:
            return (2, Decimal(0), 0)
        if cell.count is None:
            return (1, Decimal(0), rank[cell.key])
        if cell.count > 0:
            return (0, Decimal(cell.count), rank[cell.key])
        return (3, Decimal(0), rank[cell.key])

    candidates = [cell for cell in members if cell.key not in hidden]
    return min(candidates, key=preference).key


def suppress_group(
    total: Cell | None, parts: Sequence[Cell], threshold: Decimal | int
) -> dict[Hashable, Reason]:
    """Suppression for one total and its parts across one dimension (sheltered + unsheltered).

    Small parts and a small total are hidden (primary). Then, if exactly one figure of the
    equation total = Σ parts is hidden, one more is hidden (complementary): the smallest other
    part, or the total when there is no other part — a single part equals its total, so hiding one
    means hiding both. With no published total (``None``) nothing can be subtracted, so only
    primary suppression applies. Returns the hidden keys and why.
    """
    if total is None:
        return primary(parts, threshold)
    return suppress_table([total, *parts], [(total.key, [p.key for p in parts])], threshold)


def suppress_table(
    cells: Sequence[Cell], groups: Sequence[Group], threshold: Decimal | int
) -> dict[Hashable, Reason]:
    """Suppression for cells that take part in several equations (a table's rows and columns).

    ``groups`` are ``(total key, part keys)`` pairs, one per equation total = Σ parts; they may
    share cells. Every small cell is hidden (primary); then each equation in turn is completed as in
    :func:`suppress_group`, and the passes repeat until one pass hides nothing new, because hiding
    a cell for a row can leave its column with a single hidden figure.

    This is the standard iterative heuristic, not an optimal (linear-programming) solution: it may
    hide more than strictly needed, and it guarantees only that no single equation has exactly one
    hidden figure — not that no hidden figure could be narrowed down by combining several
    equations. The result depends only on the inputs (including the order of ``groups``), so the
    same table is always suppressed the same way.
    """
    by_key: dict[Hashable, Cell] = {}
    for cell in cells:
        if cell.key in by_key:
            raise ValueError(f"Two cells share the key {cell.key!r}.")
        by_key[cell.key] = cell
    equations: list[tuple[Cell, list[Cell]]] = []
    for total_key, part_keys in groups:
        if not part_keys:
            raise ValueError(f"The group with total {total_key!r} has no parts.")
        if total_key in part_keys:
            raise ValueError(f"The total {total_key!r} cannot also be one of its parts.")
        unknown = [key for key in [total_key, *part_keys] if key not in by_key]
        if unknown:
            raise ValueError(f"A group refers to cells that are not in the table: {unknown!r}.")
        equations.append((by_key[total_key], [by_key[key] for key in part_keys]))

    hidden = primary(cells, threshold)
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            key = _complement(total, parts, hidden)
            if key is not None:
                hidden[key] = Reason.COMPLEMENTARY
                changed = True
    return hidden
