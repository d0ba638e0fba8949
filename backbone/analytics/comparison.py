"""How do we compare with our peers? One performance measure, reported by several partners.

Pure functions on plain values; no database, no web. Each partner brings its own figure for the
period (for a percent or rate, already its Σ numerators / Σ denominators across its places — the
caller does that, see :mod:`backbone.analytics.aggregate`). From those figures:

* **median** — the middle figure; with an even number of figures, the mean of the middle two;
* **quartiles** — the 25th and 75th percentiles by linear interpolation between the sorted
  figures (Hyndman & Fan 1996, type 7; the same as Excel ``QUARTILE.INC`` and numpy's default):
  with the *n* figures sorted low to high as x₀ … xₙ₋₁, the *q* quantile sits at position
  h = (n − 1)·q and is x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋₊₁₎ − x₍⌊h⌋₎). Shown only with four figures or more;
* **rank** — 1 is the best figure in the measure's better direction (highest when higher is
  better, lowest when lower is better); tied figures share the better rank and the next rank is
  skipped (1, 2, 2, 4: "standard competition ranking"). A measure with no better direction is
  not ranked;
* **quartile of a partner** — the quarter of the ranking its rank falls in: with *n* ranked
  figures, rank *r* is in quartile ⌈4·r ÷ n⌉ (1 = best quarter, 4 = worst). Tied figures share a
  rank, so they always share a quartile, and ties can leave a quarter empty. With fewer than four
  ranked figures there are no quarters to speak of, so no quartile is given.

A suppressed figure (too few people behind it) is shown as suppressed and left out of the median,
quartiles and ranks: were it counted, it could be worked out from them. A partner without a figure
is listed last, unranked.

Partners are named only when the initiative has agreed to an open comparison; otherwise the
viewer's own organization is named and every other partner gets a letter ("Partner C") that stays
the same from one period to the next (:func:`over_time`). Results are ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from backbone.analytics.progress import Direction

Number = Decimal | int | float


@dataclass(frozen=True)
class PeerValue:
    """One partner's figure for the period. ``suppressed`` hides a small cell: never ranked."""

    key: Hashable  # organization id
    name: str
    value: Decimal | None
    suppressed: bool = False


@dataclass(frozen=True)
class Standing:
    """Where one partner stands among its peers for the period.

    ``value`` and ``from_median`` are ``None`` for a suppressed figure, so a page cannot show it
    by mistake. ``rank`` and ``quartile`` follow the rules in the module docstring; ``of`` is how
    many figures were ranked (0 for a measure with no better direction).
    """

    key: Hashable
    label: str  # the name, or an anonymous label ("Partner C")
    named: bool
    is_viewer: bool
    value: Decimal | None
    suppressed: bool
    rank: int | None
    of: int
    quartile: int | None
    from_median: Decimal | None  # value − median

    @property
    def ranked(self) -> bool:
        return self.rank is not None


@dataclass(frozen=True)
class PeerSummary:
    """The peer comparison for one period.

    ``count`` is the number of figures that count (not suppressed, not missing); the median, low
    and high are over those, ``q1`` and ``q3`` too but only with four of them or more.
    ``standings`` are best first, then the unranked (suppressed, then no figure). ``suppressed``
    and ``missing`` count the partners left out, for a footnote.
    """

    label: Hashable  # period
    count: int
    median: Decimal | None
    q1: Decimal | None  # 25th percentile
    q3: Decimal | None  # 75th percentile
    low: Decimal | None
    high: Decimal | None
    standings: tuple[Standing, ...]
    suppressed: int = 0  # partners whose figure is suppressed
    missing: int = 0  # partners without a figure

    @property
    def viewer_standings(self) -> tuple[Standing, ...]:
        """The standings of the viewer's own organization(s), in the same order."""
        return tuple(s for s in self.standings if s.is_viewer)


MIN_FOR_QUARTILES = 4


def _letters(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA", 27 → "AB" … (spreadsheet column names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def anonymous_labels(keys: Sequence[Hashable]) -> dict[Hashable, str]:
    """ "Partner A", "Partner B", … "Partner Z", "Partner AA", … in the order given.

    Pass a stable order that does not reveal names (by id, say). A key given twice keeps its first
    letter; every label is different.
    """
    labels: dict[Hashable, str] = {}
    for key in keys:
        if key not in labels:
            labels[key] = _("Partner %(letter)s") % {"letter": _letters(len(labels))}
    return labels


def _stable(keys: Sequence[Hashable]) -> list[Hashable]:
    """Keys sorted when they can be compared, else in the order given; each once."""
    unique = list(dict.fromkeys(keys))
    try:
        return sorted(unique)  # type: ignore[type-var]
    except TypeError:
        return unique


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def quantile(values: Sequence[Number], q: float) -> Decimal:
    """The ``q`` quantile (0 ≤ q ≤ 1) by linear interpolation (Hyndman–Fan type 7).

    With the values sorted as x₀ ≤ … ≤ xₙ₋₁ and h = (n − 1)·q, the result is
    x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋₊₁₎ − x₍⌊h⌋₎) — the same as Excel ``QUARTILE.INC`` /
    ``PERCENTILE.INC`` and numpy's default. ``q = 0.5`` is the median (the mean of the middle two
    for an even count). Raises ``ValueError`` for no values or ``q`` outside 0–1.
    """
    if not values:
        raise ValueError("A quantile needs at least one value.")
    fraction = _decimal(q)
    if not 0 <= fraction <= 1:
        raise ValueError("q must be between 0 and 1.")
    ordered = sorted(_decimal(v) for v in values)
    position = (len(ordered) - 1) * fraction
    below = int(position)  # ⌊h⌋, as h ≥ 0
    if below >= len(ordered) - 1:
        return ordered[-1]
    low, high = ordered[below], ordered[below + 1]
    if position == below or low == high:
        return low
    return _tidy(low + (position - below) * (high - low))


def _tidy(number: Decimal) -> Decimal:
    """Drop trailing zeros that interpolation adds (67.50 → 67.5), keeping 100 as 100."""
    number = number.normalize()
    return number.quantize(Decimal(1)) if number.as_tuple().exponent > 0 else number  # type: ignore[operator]


def compare(
    label: Hashable,
    peers: Sequence[PeerValue],
    *,
    direction: Direction | str,
    viewer: Collection[Hashable] = (),
    open_comparison: bool = False,
    labels: Mapping[Hashable, str] | None = None,
) -> PeerSummary:
    """Median, quartiles, ranks and quartile standing of each partner for one period.

    A partner is named when ``open_comparison`` is set or it is one of the ``viewer``'s
    organizations; any other gets its letter from ``labels`` (pass
    ``anonymous_labels`` over every period, so a partner keeps its letter over time), else from
    ``anonymous_labels`` over the sorted keys of ``peers``. A key missing from ``labels`` gets
    the next letter not already used there.

    The order of ``peers`` does not matter: standings are best first, ties (and every figure of
    a measure with no better direction, highest first) in key order, then suppressed figures,
    then partners without a figure, each in key order.
    """
    direction = Direction(direction)
    order = _stable([p.key for p in peers])
    position = {key: index for index, key in enumerate(order)}
    names = _anonymous(order, labels)

    counted = [p for p in peers if not p.suppressed and p.value is not None]
    values = [_decimal(p.value) for p in counted]  # type: ignore[arg-type]
    median = quantile(values, 0.5) if values else None
    enough = len(values) >= MIN_FOR_QUARTILES
    q1 = quantile(values, 0.25) if enough else None
    q3 = quantile(values, 0.75) if enough else None

    ranked = direction != Direction.NEUTRAL
    sign = -1 if direction == Direction.DOWN else 1  # sign × value: larger is better

    def better(peer: PeerValue) -> tuple[Decimal, int]:
        return (-sign * _decimal(peer.value), position[peer.key])  # type: ignore[arg-type]

    counted.sort(key=better)
    of = len(counted) if ranked else 0

    def standing(peer: PeerValue, rank: int | None) -> Standing:
        named = open_comparison or peer.key in viewer
        shown = None if peer.suppressed or peer.value is None else _decimal(peer.value)
        quartile = None
        if rank is not None and of >= MIN_FOR_QUARTILES:
            quartile = -(-4 * rank // of)  # ⌈4r / n⌉
        return Standing(
            key=peer.key,
            label=peer.name if named else names[peer.key],
            named=named,
            is_viewer=peer.key in viewer,
            value=shown,
            suppressed=peer.suppressed,
            rank=rank,
            of=of,
            quartile=quartile,
            from_median=shown - median if shown is not None and median is not None else None,
        )

    standings: list[Standing] = []
    rank = 0
    for index, peer in enumerate(counted):
        if index == 0 or better(counted[index - 1])[0] != better(peer)[0]:
            rank = index + 1  # a tie keeps the rank of the first of its group
        standings.append(standing(peer, rank if ranked else None))
    by_key = sorted(
        (p for p in peers if p.suppressed or p.value is None),
        key=lambda p: (not p.suppressed, position[p.key]),
    )
    standings += [standing(peer, None) for peer in by_key]

    return PeerSummary(
        label=label,
        count=len(values),
        median=median,
        q1=q1,
        q3=q3,
        low=min(values) if values else None,
        high=max(values) if values else None,
        standings=tuple(standings),
        suppressed=sum(1 for p in peers if p.suppressed),
        missing=sum(1 for p in peers if not p.suppressed and p.value is None),
    )


def _anonymous(
    order: Sequence[Hashable], labels: Mapping[Hashable, str] | None
) -> dict[Hashable, str]:
    if labels is None:
        return anonymous_labels(order)
    names = dict(labels)
    used = set(names.values())
    index = 0
    for key in order:
        if key in names:
            continue
        while (candidate := _("Partner %(letter)s") % {"letter": _letters(index)}) in used:
            index += 1
        names[key] = candidate
        used.add(candidate)
    return names


def over_time(
    by_period: Sequence[tuple[Hashable, Sequence[PeerValue]]],
    *,
    direction: Direction | str,
    viewer: Collection[Hashable] = (),
    open_comparison: bool = False,
    labels: Mapping[Hashable, str] | None = None,
) -> list[PeerSummary]:
    """:func:`compare` for each period, in the order given, with one set of letters for all.

    Unless ``labels`` is given, the letters come from ``anonymous_labels`` over the sorted keys of
    every partner in every period, so "Partner C" is the same partner in each period.
    """
    if labels is None:
        labels = anonymous_labels(_stable([p.key for _label, peers in by_period for p in peers]))
    return [
        compare(
            label,
            peers,
            direction=direction,
            viewer=viewer,
            open_comparison=open_comparison,
            labels=labels,
        )
        for label, peers in by_period
    ]


def method(
    direction: Direction | str,
    *,
    open_comparison: bool = False,
    reviewer: bool = False,
    hides_small: bool = True,
) -> str:
    """How the comparison is worked out, in plain words, for a page footnote.

    ``reviewer``: the reader sees every name because they review every partner's figures (the
    partners themselves see letters unless ``open_comparison``). ``hides_small``: small figures
    may be hidden from this reader (say how they are left out)."""
    direction = Direction(direction)
    parts = [
        _(
            "The median is the middle figure among the partners; with an even number of "
            "partners it is halfway between the middle two."
        ),
        _(
            "The quartiles are the figures a quarter and three quarters of the way up the list, "
            "found by linear interpolation between the figures around them (the same as Excel’s "
            "QUARTILE.INC). They are shown only when at least four partners have a figure; with "
            "fewer there are no quarters to speak of."
        ),
    ]
    if direction == Direction.NEUTRAL:
        parts.append(
            _(
                "This measure has no better or worse direction, so partners are not ranked; they "
                "are listed from highest to lowest."
            )
        )
    else:
        best = (
            _("Rank 1 is the highest figure, because higher is better.")
            if direction == Direction.UP
            else _("Rank 1 is the lowest figure, because lower is better.")
        )
        parts += [
            best,
            _(
                "Partners with the same figure share a rank, and the next rank is skipped (1, 2, "
                "2, 4)."
            ),
            _(
                "A partner’s quartile is the quarter of the ranking its rank falls in: 1 is the "
                "best quarter, 4 the worst. With fewer than four ranked partners no quartile is "
                "given."
            ),
        ]
    if hides_small:
        parts.append(
            _(
                "Figures based on too few people are suppressed: they are not counted in the "
                "median, quartiles or ranks, so that they cannot be worked out from them."
            )
        )
    if open_comparison:
        parts.append(_("The partners have agreed to compare openly, so every partner is named."))
    elif reviewer:
        parts.append(
            _(
                "Every partner is named to you because you review the partners' figures; each "
                "partner sees its own name and the others by a letter that stays the same from "
                "one period to the next."
            )
        )
    else:
        parts.append(
            _(
                "Your own organization is named; other partners are shown by a letter that stays "
                "the same from one period to the next."
            )
        )
    return " ".join(parts)
