"""The shared clock helpers, tested alone: every stage counts dates through them."""

from __future__ import annotations

from datetime import date

import pytest

from cobase.clock import (
    BadDateError,
    date_part,
    month_end,
    month_period,
    period_from_year_text,
    quarter_period,
    year_period,
    years_before,
)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2026, 3, 15), 10, date(2016, 3, 15)),
        (date(2026, 3, 15), 3, date(2023, 3, 15)),
        (date(2026, 3, 15), 0, date(2026, 3, 15)),
        # 29 February has no twin in a common year: the day before the month ends is taken.
        (date(2024, 2, 29), 3, date(2021, 2, 28)),
        # ...but a leap year four years earlier keeps it.
        (date(2024, 2, 29), 4, date(2020, 2, 29)),
        (date(2026, 12, 31), 100, date(1926, 12, 31)),
    ],
)
def test_years_before_is_the_same_calendar_day(day: date, years: int, expected: date) -> None:
    assert years_before(day, years) == expected


def test_engine_and_exports_share_the_one_definition() -> None:
    from cobase.evidence import engine
    from cobase.export import content

    assert engine.years_before is years_before
    assert content.years_before is years_before


def test_year_period_is_first_january_to_last_december() -> None:
    assert year_period(2019) == (date(2019, 1, 1), date(2019, 12, 31))


def test_year_period_spans_from_the_first_year_to_the_last() -> None:
    assert year_period(2015, 2017) == (date(2015, 1, 1), date(2017, 12, 31))


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2019, 1, date(2019, 1, 31)),
        (2019, 2, date(2019, 2, 28)),
        (2024, 2, date(2024, 2, 29)),
        (2019, 4, date(2019, 4, 30)),
        (2019, 12, date(2019, 12, 31)),
    ],
)
def test_month_end(year: int, month: int, expected: date) -> None:
    assert month_end(year, month) == expected


def test_month_period() -> None:
    assert month_period(2024, 2) == (date(2024, 2, 1), date(2024, 2, 29))


@pytest.mark.parametrize("month", [0, 13])
def test_a_month_outside_the_year_is_a_value_error(month: int) -> None:
    # Parsers catch ValueError to turn it into their own one-sentence error.
    with pytest.raises(ValueError):
        month_period(2019, month)


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        (1, (date(2019, 1, 1), date(2019, 3, 31))),
        (2, (date(2019, 4, 1), date(2019, 6, 30))),
        (3, (date(2019, 7, 1), date(2019, 9, 30))),
        (4, (date(2019, 10, 1), date(2019, 12, 31))),
    ],
)
def test_quarter_period(quarter: int, expected: tuple[date, date]) -> None:
    assert quarter_period(2019, quarter) == expected


@pytest.mark.parametrize("quarter", [0, 5])
def test_a_quarter_outside_1_to_4_is_a_value_error(quarter: int) -> None:
    with pytest.raises(ValueError):
        quarter_period(2019, quarter)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019", (date(2019, 1, 1), date(2019, 12, 31))),
        (" 2019 ", (date(2019, 1, 1), date(2019, 12, 31))),
        ("2015-2017", (date(2015, 1, 1), date(2017, 12, 31))),
        ("2015/2017", (date(2015, 1, 1), date(2017, 12, 31))),
        ("2015–2017", (date(2015, 1, 1), date(2017, 12, 31))),
    ],
)
def test_period_from_year_text(text: str, expected: tuple[date, date]) -> None:
    assert period_from_year_text(text) == expected


@pytest.mark.parametrize("text", ["", "2019Q1", "2019-01", "19", "twenty"])
def test_period_from_year_text_refuses_anything_else(text: str) -> None:
    with pytest.raises(BadDateError):
        period_from_year_text(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The day written, not its UTC conversion (which would be 31 December 2004).
        ("2005-01-01T00:00:00+01:00", date(2005, 1, 1)),
        ("2024-03-15", date(2024, 3, 15)),
        (date(2024, 3, 15), date(2024, 3, 15)),
    ],
)
def test_date_part_is_the_day_as_written(value: object, expected: date) -> None:
    assert date_part(value) == expected


@pytest.mark.parametrize("value", ["", "15/03/2024", " 2024-03-15"])
def test_date_part_refuses_text_not_starting_with_an_iso_day(value: str) -> None:
    with pytest.raises(ValueError):
        date_part(value)
