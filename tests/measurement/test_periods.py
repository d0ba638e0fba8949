from datetime import date

import pytest

from backbone.measurement.periods import PeriodCodeError, PeriodType, parse_period


@pytest.mark.parametrize(
    ("code", "type_", "start", "end"),
    [
        ("2023", PeriodType.YEAR, date(2023, 1, 1), date(2023, 12, 31)),
        ("2023Q1", PeriodType.QUARTER, date(2023, 1, 1), date(2023, 3, 31)),
        ("2024q4", PeriodType.QUARTER, date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-02", PeriodType.MONTH, date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2023-02", PeriodType.MONTH, date(2023, 2, 1), date(2023, 2, 28)),
        ("2023-12", PeriodType.MONTH, date(2023, 12, 1), date(2023, 12, 31)),
        ("SY2023-24", PeriodType.SCHOOL_YEAR, date(2023, 8, 1), date(2024, 7, 31)),
        ("SY1999-00", PeriodType.SCHOOL_YEAR, date(1999, 8, 1), date(2000, 7, 31)),
        ("FY2024", PeriodType.FISCAL_YEAR, date(2023, 7, 1), date(2024, 6, 30)),
    ],
)
def test_period_codes_parse_to_their_dates(code, type_, start, end):
    parsed = parse_period(code)
    assert (parsed.type, parsed.start, parsed.end) == (type_, start, end)
    assert parsed.code == code.upper()


def test_fiscal_year_start_month_is_a_setting():
    assert parse_period("FY2024", fiscal_year_start_month=10).start == date(2023, 10, 1)
    assert parse_period("FY2024", fiscal_year_start_month=10).end == date(2024, 9, 30)
    january = parse_period("FY2024", fiscal_year_start_month=1)
    assert (january.start, january.end) == (date(2024, 1, 1), date(2024, 12, 31))


@pytest.mark.parametrize("bad", ["", "23", "2023Q5", "2023-13", "2023-1", "SY2023-25", "Jan 2023"])
def test_bad_period_codes_say_what_is_expected(bad):
    with pytest.raises(PeriodCodeError, match=r"2023Q1|SY2023-24"):
        parse_period(bad)
