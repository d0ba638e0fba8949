"""Period codes: parse ``2023``, ``2023Q1``, ``2023-01``, ``SY2023-24``, ``FY2024`` into dates.

Pure functions, no database. A fiscal year is named for the calendar year in which it *ends*
(``FY2024`` with a July start runs 2023-07-01 … 2024-06-30), the usual US convention; a fiscal
year that starts in January is the calendar year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PeriodType(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")
    SCHOOL_YEAR = "school_year", _("School year")
    FISCAL_YEAR = "fiscal_year", _("Fiscal year")


@dataclass(frozen=True)
class ParsedPeriod:
    type: str
    code: str
    start: date
    end: date  # inclusive


class PeriodCodeError(ValueError):
    """The text is not a period code we understand; the message says what would be."""


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_SCHOOL = re.compile(r"^SY(\d{4})-(\d{2})$")
_FISCAL = re.compile(r"^FY(\d{4})$")

EXAMPLES = "2023, 2023Q1, 2023-01, SY2023-24 or FY2024"


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(
    code: str, *, school_year_start_month: int = 8, fiscal_year_start_month: int = 7
) -> ParsedPeriod:
    """Parse a period code. Raise ``PeriodCodeError`` with a plain message if it is not one."""
    text = (code or "").strip().upper()
    if m := _YEAR.match(text):
        y = int(m[1])
        return ParsedPeriod(PeriodType.YEAR, text, date(y, 1, 1), date(y, 12, 31))
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[2])
        first = 3 * (q - 1) + 1
        return ParsedPeriod(PeriodType.QUARTER, text, date(y, first, 1), _month_end(y, first + 2))
    if m := _MONTH.match(text):
        y, mo = int(m[1]), int(m[2])
        return ParsedPeriod(PeriodType.MONTH, text, date(y, mo, 1), _month_end(y, mo))
    if m := _SCHOOL.match(text):
        y, short_end = int(m[1]), int(m[2])
        if (y + 1) % 100 != short_end:
            raise PeriodCodeError(
                gettext("“%(code)s”: a school year spans two years in a row, e.g. %(example)s.")
                % {"code": code, "example": f"SY{y}-{(y + 1) % 100:02d}"}
            )
        start = date(y, school_year_start_month, 1)
        end_month = (school_year_start_month - 2) % 12 + 1
        end_year = y + 1 if school_year_start_month > 1 else y
        return ParsedPeriod(PeriodType.SCHOOL_YEAR, text, start, _month_end(end_year, end_month))
    if m := _FISCAL.match(text):
        y = int(m[1])
        s = fiscal_year_start_month
        start = date(y - 1, s, 1) if s > 1 else date(y, 1, 1)
        end_month = (s - 2) % 12 + 1
        return ParsedPeriod(PeriodType.FISCAL_YEAR, text, start, _month_end(y, end_month))
    raise PeriodCodeError(
        gettext("“%(code)s” is not a period. Write it like %(examples)s.")
        % {"code": code, "examples": EXAMPLES}
    )
