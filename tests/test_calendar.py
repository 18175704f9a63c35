"""The working calendar behind the SLA clock: office hours, weekends, holidays, make-up days.

Default office hours: 08:30–12:00 (3.5 h) and 13:30–17:30 (4 h), 7.5 working hours a day.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.workcalendar import WorkingCalendar, default_calendar, holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def at(year, month, day, hour=0, minute=0, tz=SHANGHAI):
    return datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.fixture
def cal():
    return default_calendar()


# --- official schedules --------------------------------------------------------------------


@pytest.mark.parametrize("schedule", holidays.SCHEDULES.values(), ids=lambda s: str(s.year))
def test_each_holiday_block_spans_the_days_its_notice_states(schedule):
    for block in schedule.blocks:
        assert len(block.dates()) == block.stated_days, block.name
        assert block.first.year == schedule.year


@pytest.mark.parametrize("schedule", holidays.SCHEDULES.values(), ids=lambda s: str(s.year))
def test_make_up_working_days_are_weekend_days_outside_the_holidays(schedule):
    for day in schedule.makeup_workdays:
        assert day.weekday() in (5, 6), day
        assert day not in schedule.days_off


# --- working days --------------------------------------------------------------------------


def test_spring_festival_2025_days_off_and_make_up_days(cal):
    # Off Tue 2025-01-28 .. Tue 02-04; make-up Sun 01-26 and Sat 02-08.
    assert cal.is_working_day(date(2025, 1, 27))  # Monday before the holiday
    assert not cal.is_working_day(date(2025, 1, 28))
    assert not cal.is_working_day(date(2025, 2, 4))  # a Tuesday, but inside the block
    assert cal.is_working_day(date(2025, 2, 5))
    assert cal.is_working_day(date(2025, 1, 26))  # make-up Sunday
    assert cal.is_working_day(date(2025, 2, 8))  # make-up Saturday
    assert not cal.is_working_day(date(2025, 2, 9))  # ordinary Sunday


def test_plain_weekends_and_weekdays_outside_the_schedules():
    bare = WorkingCalendar()
    assert bare.is_working_day(date(2025, 1, 28))  # no holidays given → an ordinary Tuesday
    assert not bare.is_working_day(date(2025, 1, 26))  # ... and an ordinary Sunday


def test_a_datetime_is_judged_by_its_date_in_the_calendar_zone(cal):
    # Fri 2025-03-14 20:00 UTC is Sat 04:00 in Shanghai.
    assert not cal.is_working_day(at(2025, 3, 14, 20, tz=UTC))
    assert cal.is_working_day(at(2025, 3, 14, 15, tz=UTC))


# --- adding working hours ------------------------------------------------------------------


def test_four_hours_from_friday_afternoon_lands_monday_morning(cal):
    # Fri 2025-03-14 16:00 → 17:30 uses 1.5 h; 2.5 h left from Mon 03-17 08:30 → 11:00.
    assert cal.add_working_hours(at(2025, 3, 14, 16), 4) == at(2025, 3, 17, 11)


def test_start_in_the_lunch_break_begins_at_the_afternoon_opening(cal):
    # Wed 2025-03-12 12:40 → clock starts 13:30; 4 h fill the afternoon exactly → 17:30 the same day.
    assert cal.add_working_hours(at(2025, 3, 12, 12, 40), 4) == at(2025, 3, 12, 17, 30)
    # 4.5 h: the afternoon's 4 h, then 0.5 h from Thu 08:30 → 09:00.
    assert cal.add_working_hours(at(2025, 3, 12, 12, 40), Decimal("4.5")) == at(2025, 3, 13, 9)


def test_a_limit_that_runs_out_at_noon_is_due_at_noon(cal):
    # 08:30 + 3.5 h = 12:00 (end of the morning), not 13:30.
    assert cal.add_working_hours(at(2025, 3, 12, 8, 30), 3.5) == at(2025, 3, 12, 12)


def test_start_on_a_holiday_begins_after_the_holiday(cal):
    # Wed 2025-01-29 is in the Spring Festival block (to Tue 02-04); clock starts Wed 02-05 08:30;
    # 3.5 h to 12:00, 0.5 h from 13:30 → 14:00.
    assert cal.add_working_hours(at(2025, 1, 29, 10), 4) == at(2025, 2, 5, 14)


def test_hours_before_a_holiday_continue_after_it(cal):
    # Mon 2025-01-27 16:00: 1.5 h that day; 01-28..02-04 off; 2.5 h from Wed 02-05 08:30 → 11:00.
    assert cal.add_working_hours(at(2025, 1, 27, 16), 4) == at(2025, 2, 5, 11)


def test_make_up_weekend_days_count_as_working_time(cal):
    # Sat 2025-01-25 is off; Sun 01-26 is a make-up day: 08:30 + 1 h → 09:30.
    assert cal.add_working_hours(at(2025, 1, 25, 17), 1) == at(2025, 1, 26, 9, 30)
    # Fri 2025-02-07 17:00: 0.5 h that day, 0.5 h on make-up Sat 02-08 → 09:00.
    assert cal.add_working_hours(at(2025, 2, 7, 17), timedelta(hours=1)) == at(2025, 2, 8, 9)


def test_result_is_in_calendar_zone_whatever_the_input_zone(cal):
    # Fri 2025-03-14 08:00 UTC = 16:00 Shanghai → Mon 11:00 Shanghai (as above).
    result = cal.add_working_hours(at(2025, 3, 14, 8, tz=UTC), 4)
    assert result == at(2025, 3, 17, 11)
    assert result.tzinfo == SHANGHAI


def test_next_working_moment(cal):
    assert cal.next_working_moment(at(2025, 3, 12, 9, 15)) == at(2025, 3, 12, 9, 15)
    assert cal.next_working_moment(at(2025, 3, 12, 12)) == at(2025, 3, 12, 13, 30)  # periods are half-open
    assert cal.next_working_moment(at(2025, 3, 12, 18)) == at(2025, 3, 13, 8, 30)
    assert cal.next_working_moment(at(2025, 9, 30, 18)) == at(2025, 10, 9, 8, 30)  # across National Day


# --- adding working days -------------------------------------------------------------------


def test_working_days_across_national_day_2025(cal):
    # Off Wed 10-01 .. Wed 10-08; make-up Sun 09-28 and Sat 10-11.
    # From Fri 09-26 10:00: working days 09-28 (Sun, make-up), 09-29, 09-30 → third is 09-30 10:00.
    assert cal.add_working_days(at(2025, 9, 26, 10), 3) == at(2025, 9, 30, 10)
    # From Tue 09-30 15:00: 10-09 is the first working day after the holiday, 10-10 the second,
    # make-up Sat 10-11 the third.
    assert cal.add_working_days(at(2025, 9, 30, 15), 2) == at(2025, 10, 10, 15)
    assert cal.add_working_days(at(2025, 9, 30, 15), 3) == at(2025, 10, 11, 15)


def test_working_days_from_the_opening_end_at_a_close(cal):
    # Mon 2025-09-29 08:30 + 2 working days = the whole of 09-29 and 09-30 → Tue 17:30.
    assert cal.add_working_days(at(2025, 9, 29, 8, 30), 2) == at(2025, 9, 30, 17, 30)
    # Reported Tue 09-30 19:00: clock starts Thu 10-09 08:30; one working day → 10-09 17:30.
    assert cal.add_working_days(at(2025, 9, 30, 19), 1) == at(2025, 10, 9, 17, 30)


@pytest.mark.parametrize(
    "start",
    [at(2025, 9, 29, 8, 30), at(2025, 9, 26, 10, 5), at(2025, 9, 30, 13, 30), at(2025, 1, 24, 16, 45)],
)
@pytest.mark.parametrize("days", [1, 2, 5, 250])
def test_n_working_days_equal_n_days_of_office_hours(cal, start, days):
    assert cal.add_working_days(start, days) == cal.add_working_hours(start, Decimal("7.5") * days)


def test_zero_working_days_is_the_clock_start(cal):
    assert cal.add_working_days(at(2025, 10, 3, 9), 0) == at(2025, 10, 9, 8, 30)


# --- measuring working time ----------------------------------------------------------------


def test_working_seconds_across_a_holiday(cal):
    # Tue 2025-09-30 16:30 → 17:30 is 1 h; 10-01..10-08 off; Thu 10-09 08:30 → 09:30 is 1 h.
    assert cal.working_seconds_between(at(2025, 9, 30, 16, 30), at(2025, 10, 9, 9, 30)) == 7200
    assert cal.working_seconds_between(at(2025, 10, 9, 9, 30), at(2025, 9, 30, 16, 30)) == -7200


def test_suspension_shifts_the_deadline_by_the_working_time_it_took(cal):
    # 8 working hours from Mon 2025-03-10 09:00: 3 h + 4 h on Monday, 1 h from Tue 08:30 → 09:30.
    started, limit = at(2025, 3, 10, 9), timedelta(hours=8)
    assert cal.add_working_time(started, limit) == at(2025, 3, 11, 9, 30)
    # Suspended Mon 11:00 → Mon 15:00: 1 h + 1.5 h = 2.5 working hours not counted.
    suspended = cal.working_time_between(at(2025, 3, 10, 11), at(2025, 3, 10, 15))
    assert suspended == timedelta(hours=2.5)
    # Used before suspension: 2 h; the remaining 6 h run from 15:00 → 17:30 (2.5 h), Tue 08:30 + 3.5 h.
    used = cal.working_time_between(started, at(2025, 3, 10, 11))
    assert cal.add_working_time(at(2025, 3, 10, 15), limit - used) == at(2025, 3, 11, 12)


working_moments_2024_to_2026 = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31, 23, 59), timezones=st.just(SHANGHAI)
)


@settings(max_examples=200, deadline=None)
@given(start=working_moments_2024_to_2026, seconds=st.integers(min_value=0, max_value=60 * 27_000))
def test_working_seconds_between_inverts_add_working_seconds(start, seconds):
    cal = default_calendar()
    s = cal.next_working_moment(start)
    end = cal.add_working_seconds(s, seconds)
    assert cal.working_seconds_between(s, end) == seconds
    # From an arbitrary (maybe non-working) start the non-working lead-in counts for nothing.
    assert cal.working_seconds_between(start, cal.add_working_seconds(start, seconds)) == seconds


@settings(max_examples=100, deadline=None)
@given(
    start=working_moments_2024_to_2026,
    first=st.integers(min_value=0, max_value=20 * 27_000),
    second=st.integers(min_value=1, max_value=20 * 27_000),
)
def test_adding_in_two_steps_equals_adding_at_once(start, first, second):
    cal = default_calendar()
    in_two_steps = cal.add_working_seconds(cal.add_working_seconds(start, first), second)
    assert in_two_steps == cal.add_working_seconds(start, first + second)


# --- configuration and bad input -----------------------------------------------------------


def test_custom_work_periods():
    nine_to_five = WorkingCalendar(work_periods=((time(9), time(17)),))
    # Fri 2025-03-14 15:00 → 17:00 is 2 h; Mon 09:00 + 2 h → 11:00.
    assert nine_to_five.add_working_hours(at(2025, 3, 14, 15), 4) == at(2025, 3, 17, 11)


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(12), time(8)),),
        ((time(8), time(12)), (time(11), time(17))),
        ((time(13), time(17)), (time(8), time(12))),
        ((time(8, tzinfo=SHANGHAI), time(12)),),
    ],
)
def test_invalid_work_periods_are_refused(periods):
    with pytest.raises(ValueError):
        WorkingCalendar(work_periods=periods)


def test_a_day_cannot_be_both_off_and_a_make_up_day():
    with pytest.raises(ValueError, match="2025-01-26"):
        WorkingCalendar(holidays={date(2025, 1, 26)}, makeup_workdays={date(2025, 1, 26)})


def test_naive_datetimes_are_refused(cal):
    naive = datetime(2025, 3, 14, 16)
    aware = at(2025, 3, 14, 16)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(naive, 4)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_seconds_between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_working_moment(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_working_day(naive)


@pytest.mark.parametrize("hours", [-1, float("nan"), Decimal("Infinity")])
def test_negative_or_non_finite_durations_are_refused(cal, hours):
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2025, 3, 14, 16), hours)


@pytest.mark.parametrize("days", [1.5, -1, True])
def test_working_days_must_be_a_non_negative_whole_number(cal, days):
    with pytest.raises((TypeError, ValueError)):
        cal.add_working_days(at(2025, 3, 14, 16), days)


# --- fractional limits in working days (the SLA clock) --------------------------------------


def _category_in_days(days: str):
    from gridgov.cases.models import Category, LimitUnit

    return Category(
        kind="event",
        code="0101",
        top_name="市容环境",
        name="暴露垃圾",
        handle_limit=Decimal(days),
        handle_unit=LimitUnit.WORKING_DAYS,
    )


@pytest.mark.parametrize(
    "days, start, deadline",
    [
        ("0.5", at(2025, 9, 29, 8, 30), at(2025, 9, 29, 13, 45)),  # 3.75 h: 08:30–12:00, 13:30–13:45
        ("0.5", at(2025, 9, 29, 16, 0), at(2025, 9, 30, 10, 45)),  # 1.5 h today, 2.25 h tomorrow
        ("1.5", at(2025, 9, 29, 8, 30), at(2025, 9, 30, 13, 45)),
        ("2.5", at(2025, 9, 30, 10, 0), at(2025, 10, 10, 15, 15)),  # across National Day
    ],
)
def test_a_fractional_working_day_limit_counts_its_fraction(cal, days, start, deadline):
    from gridgov.cases import sla

    assert sla.handle_deadline(cal, _category_in_days(days), start) == deadline


@pytest.mark.parametrize("days", ["0.25", "0.5", "1", "1.5", "3", "2.75"])
@pytest.mark.parametrize("start", [at(2025, 9, 29, 8, 30), at(2025, 9, 26, 10, 5), at(2025, 1, 24, 16, 45)])
def test_a_limit_in_days_equals_the_same_limit_in_office_hours(cal, days, start):
    from gridgov.cases import sla

    assert sla.handle_deadline(cal, _category_in_days(days), start) == cal.add_working_hours(
        start, Decimal("7.5") * Decimal(days)
    )


def test_the_step_limit_of_a_half_day_is_half_a_working_day(cal):
    from gridgov.cases import sla
    from gridgov.cases.models import Case, State

    case = Case(category=_category_in_days("0.5"), state=State.DISPATCHED)
    assert sla.step_limit(case, cal) == timedelta(hours=3, minutes=45)
