"""The shared clock helpers, tested alone: every stage counts dates through them."""

from __future__ import annotations

from datetime import date

import pytest

from cobase.clock import years_before


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
