"""The moment a report counts up to: no future --as-of; today and a running year mean up to now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports.render import default_as_of, zh_numeral
from service.errors import Refused
from service.reports import check_as_of, parse_as_of

NOW = datetime(2026, 11, 16, 6, 30, tzinfo=UTC)  # 16 Nov 2026, 14:30 Beijing


def test_a_past_date_is_the_end_of_that_day_in_beijing() -> None:
    assert parse_as_of("2026-06-30", NOW) == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
    assert parse_as_of("2026-06-30T18:00+08:00", NOW) == datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
    assert parse_as_of(None, NOW) is None


def test_today_means_up_to_now() -> None:
    assert parse_as_of("2026-11-16", NOW) == NOW
    # 00:30 on 17 Nov in Beijing is still 16 Nov in UTC: "today" is Beijing's day
    late = datetime(2026, 11, 16, 16, 30, tzinfo=UTC)
    assert parse_as_of("2026-11-17", late) == late


@pytest.mark.parametrize("given", ["2026-11-17", "2027-06-30", "2026-11-16T15:00+08:00", "2026-11-16T07:00:01+00:00"])
def test_a_future_as_of_is_refused_naming_it_and_today(given: str) -> None:
    with pytest.raises(Refused) as caught:
        parse_as_of(given, NOW)
    message = str(caught.value)
    assert message.startswith(f"--as-of {given}: in the future") and "today is 2026-11-16" in message


def test_check_as_of_for_callers_with_a_moment() -> None:
    assert check_as_of(NOW, NOW) == NOW
    with pytest.raises(Refused, match="in the future"):
        check_as_of(datetime(2027, 1, 1, tzinfo=UTC), NOW)


def test_a_bad_as_of_still_names_the_option() -> None:
    with pytest.raises(Refused, match=r"--as-of '30/06/2026': expected a date"):
        parse_as_of("30/06/2026", NOW)
    with pytest.raises(Refused, match="UTC offset"):
        parse_as_of("2026-06-30T18:00", NOW)


def test_a_report_of_a_running_year_covers_up_to_now() -> None:
    # asked in November: the bulletin covers the half-year in progress up to now, not 30 June
    assert default_as_of("bulletin", 2026, NOW) == NOW
    assert default_as_of("summary", 2026, NOW) == NOW
    assert default_as_of("bulletin", 2026, datetime(2026, 3, 1, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
    # a year that has ended: the half-year bulletin as due, the summary to 31 December (Beijing)
    assert default_as_of("bulletin", 2025, NOW) == datetime(2025, 6, 30, 16, 0, tzinfo=UTC)
    assert default_as_of("summary", 2025, NOW) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)


def test_section_numbers_past_ten() -> None:
    assert [zh_numeral(n) for n in (1, 9, 10, 11, 12, 20, 21)] == ["一", "九", "十", "十一", "十二", "二十", "二十一"]
