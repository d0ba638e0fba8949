"""The rules every reported figure must pass, whichever way it arrives (form, file, API).

Each rule returns ``Problem`` s in plain words: which field, what is wrong, how to fix it. Errors
refuse the figure; warnings are shown and the figure is accepted. The rules:

* a value, or — for a percent or rate (ratio of sums) — a numerator and a denominator;
* a percent lies in 0–100; a count is a whole number, never negative; a value respects the
  indicator's lowest and highest possible values;
* a numerator is not negative, a denominator is above zero, and the numerator is not above the
  denominator when the indicator counts a share of people (``numerator_within_denominator``);
* a value given beside its numerator and denominator agrees with them (to the decimals shown);
* a margin of error is not negative, and a confidence interval contains the value;
* every number, given or computed, fits in storage (below 10^14: 20 digits, 6 after the point);
* the groups of one dimension add up to the total (``check_parts``), as a warning or an error as
  the indicator says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from backbone.measurement.models import Aggregation, Indicator, RuleSeverity, Unit

ERROR = "error"
WARNING = "warning"
LARGEST = Decimal(10) ** 14  # Observation's numbers: 20 digits, 6 of them after the point
# One decimal comma, with digits on both sides; before it, digits or dot-separated thousands.
_DECIMAL_COMMA = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+),\d+%?")


@dataclass(frozen=True)
class Problem:
    column: str
    message: str
    fix: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True)
class Figures:
    """The numbers of one reported figure (``None`` where not given)."""

    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    margin_of_error: Decimal | None = None
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None


class NotANumber(ValueError):
    pass


class DecimalComma(NotANumber):
    """``12,5`` or ``1.234,5``: a comma for decimals, which is refused rather than guessed."""

    @property
    def corrected(self) -> str:
        """The same number with a point for decimals: ``1.234,5`` → ``1234.5``."""
        return str(self.args[0]).strip().replace(".", "").replace(",", ".")


def parse_number(text: str | float | int | Decimal | None) -> Decimal | None:
    """Read a number as people type it in spreadsheets: ``1,234``, ``12.5``, ``45%``, `` 7 ``.

    Empty means "not given". A thousands comma is accepted only in groups of three and before
    any decimal point, so that a decimal comma (``12,5``, ``1.234,5``) is refused
    (``DecimalComma``) rather than read as 125 or 1.2345.
    """
    if text is None:
        return None
    if isinstance(text, Decimal):
        return text
    if isinstance(text, bool):
        raise NotANumber(str(text))
    if isinstance(text, int | float):
        return Decimal(str(text))
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    if raw == "":
        return None
    if raw.endswith("%"):
        raw = raw[:-1]
    if "," in raw:
        whole, _point, decimals = raw.partition(".")
        groups = whole.lstrip("+-").split(",")
        grouped = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        if not grouped or "," in decimals:
            if _DECIMAL_COMMA.fullmatch(raw):
                raise DecimalComma(text)
            raise NotANumber(text)
        raw = raw.replace(",", "")
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:
        raise NotANumber(text) from exc
    if not number.is_finite():
        raise NotANumber(text)
    return number


def computed_value(indicator: Indicator, numerator: Decimal, denominator: Decimal) -> Decimal:
    return numerator / denominator * Decimal(indicator.rate_base)


def check_figures(indicator: Indicator, f: Figures) -> list[Problem]:
    """Every single-figure rule for ``indicator`` (see the module docstring)."""
    problems = [
        Problem(
            column,
            _("%(v)s is too large to store; the largest number we keep is %(max)s.")
            % {"v": _plain(number), "max": "99,999,999,999,999"},
            _("Check the number: it may have extra digits, or be in the wrong unit."),
        )
        for column in ("value", "numerator", "denominator", "margin_of_error", "ci_low", "ci_high")
        if (number := getattr(f, column)) is not None and abs(number) >= LARGEST
    ]
    if problems:
        return problems
    ratio = indicator.aggregation == Aggregation.RATIO
    if ratio:
        problems += _check_ratio(indicator, f)
    elif f.value is None:
        problems.append(Problem("value", _("The value is missing."), _("Enter a number.")))
    if f.value is not None:
        problems += _check_value(indicator, f.value)
    if f.margin_of_error is not None and f.margin_of_error < 0:
        problems.append(
            Problem(
                "margin_of_error",
                _("A margin of error cannot be negative."),
                _("Enter the ± amount as a positive number."),
            )
        )
    value = f.value
    if value is None and ratio and f.numerator is not None and f.denominator:
        value = computed_value(indicator, f.numerator, f.denominator)
        if abs(value) >= LARGEST:
            problems.append(
                Problem(
                    "value",
                    _(
                        "The value computed from the numerator and denominator is too large to "
                        "store."
                    ),
                    _("Check the denominator: it may be missing digits, or be in the wrong unit."),
                )
            )
    if (f.ci_low is not None or f.ci_high is not None) and value is not None:
        low = f.ci_low if f.ci_low is not None else value
        high = f.ci_high if f.ci_high is not None else value
        if not low <= value <= high:
            problems.append(
                Problem(
                    "ci_low",
                    _("The confidence interval %(low)s–%(high)s does not contain the value %(v)s.")
                    % {"low": low, "high": high, "v": _plain(value)},
                    _("Check that the lower and upper bounds belong to this value."),
                )
            )
    return problems


def _check_ratio(indicator: Indicator, f: Figures) -> list[Problem]:
    problems: list[Problem] = []
    for column, number, label in (
        ("numerator", f.numerator, indicator.numerator_label),
        ("denominator", f.denominator, indicator.denominator_label),
    ):
        if number is None:
            problems.append(
                Problem(
                    column,
                    _("The %(column)s is missing.") % {"column": column},
                    _(
                        "This indicator is combined from counts, so enter the %(column)s "
                        "(%(label)s) as well as, or instead of, the percent."
                    )
                    % {"column": column, "label": label or column},
                )
            )
    if f.numerator is not None and f.numerator < 0:
        problems.append(
            Problem("numerator", _("The numerator cannot be negative."), _("Enter a count ≥ 0."))
        )
    if f.denominator is not None and f.denominator <= 0:
        problems.append(
            Problem(
                "denominator",
                _("The denominator must be more than zero."),
                _("Enter how many people the figure is out of; leave the row out if none."),
            )
        )
    if (
        indicator.numerator_within_denominator
        and f.numerator is not None
        and f.denominator is not None
        and f.numerator > f.denominator
    ):
        problems.append(
            Problem(
                "numerator",
                _("The numerator (%(n)s) is larger than the denominator (%(d)s).")
                % {"n": _plain(f.numerator), "d": _plain(f.denominator)},
                _("Check that the two columns are not swapped."),
            )
        )
    if f.value is not None and f.numerator is not None and f.denominator and f.denominator > 0:
        expected = computed_value(indicator, f.numerator, f.denominator)
        tolerance = Decimal("0.5") * Decimal(10) ** -indicator.decimals + Decimal("1e-9")
        if abs(expected - f.value) > tolerance:
            problems.append(
                Problem(
                    "value",
                    _("The value %(v)s does not match the numerator and denominator (%(e)s).")
                    % {"v": _plain(f.value), "e": _plain(round(expected, indicator.decimals))},
                    _("Leave the value empty to have it computed, or correct the counts."),
                )
            )
    return problems


def _check_value(indicator: Indicator, value: Decimal) -> list[Problem]:
    problems: list[Problem] = []
    if indicator.unit == Unit.PERCENT and not 0 <= value <= 100:
        problems.append(
            Problem(
                "value",
                _("A percent must be between 0 and 100; this one is %(v)s.") % {"v": _plain(value)},
                _("Write 45 for 45%, not 0.45 or 4500."),
            )
        )
    if indicator.unit == Unit.COUNT:
        if value < 0:
            problems.append(
                Problem(
                    "value",
                    _("A count cannot be negative; this one is %(v)s.") % {"v": _plain(value)},
                    _("Enter the number of people or things, 0 or more."),
                )
            )
        elif value != value.to_integral_value():
            problems.append(
                Problem(
                    "value",
                    _("A count must be a whole number; this one is %(v)s.") % {"v": _plain(value)},
                    _("Round it to a whole number, or ask the backbone whether the unit is right."),
                )
            )
    if indicator.min_value is not None and value < indicator.min_value:
        problems.append(
            Problem(
                "value",
                _("%(v)s is below the lowest possible value, %(min)s.")
                % {"v": _plain(value), "min": _plain(indicator.min_value)},
                _("Check the number and its unit."),
            )
        )
    if indicator.max_value is not None and value > indicator.max_value:
        problems.append(
            Problem(
                "value",
                _("%(v)s is above the highest possible value, %(max)s.")
                % {"v": _plain(value), "max": _plain(indicator.max_value)},
                _("Check the number and its unit."),
            )
        )
    return problems


def check_parts(
    indicator: Indicator,
    dimension_name: str,
    total: Decimal,
    parts: Mapping[str, Decimal],
    *,
    all_members: bool,
) -> Problem | None:
    """Do the groups of one dimension add up to the total?

    With every group reported, their sum must equal the total; with some missing, it must not
    exceed it. For a percent or rate, pass numerators (or denominators): those add up, percents
    do not. ``None`` when they add up or the indicator does not check.
    """
    if indicator.parts_rule == RuleSeverity.OFF:
        return None
    summed = sum(parts.values(), Decimal(0))
    if (all_members and summed == total) or (not all_members and summed <= total):
        return None
    message = (
        _("The %(dimension)s groups add up to %(sum)s, but the total is %(total)s.")
        if all_members
        else _(
            "The %(dimension)s groups reported add up to %(sum)s, more than the total %(total)s."
        )
    ) % {"dimension": dimension_name, "sum": _plain(summed), "total": _plain(total)}
    return Problem(
        dimension_name,
        message,
        _("Check each group and the total; every person should be counted in exactly one group."),
        severity=ERROR if indicator.parts_rule == RuleSeverity.ERROR else WARNING,
    )


def _plain(number: Decimal) -> str:
    """A number as people write it: no trailing zeros, no exponent."""
    text = format(number.normalize(), "f") if number == number else str(number)
    return text
