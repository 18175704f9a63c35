"""Official Chinese public-holiday schedules (国务院办公厅关于…部分节假日安排的通知).

Each year's notice lists holiday blocks (days off, weekend days inside a block included) and
make-up working days (调休上班: weekend days that become working days). The State Council
publishes the next year's notice in October–December; add a year here when it appears.

Years covered: 2024, 2025, 2026. The 2027 notice was not found when this file was written
(2026-11-26); until it is added, 2027 dates follow the plain Monday–Friday rule.
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class HolidayBlock:
    name: str
    first: date
    last: date
    stated_days: int  # the notice's "共N天" (1 where it says "放假" for a single day); checked by tests

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class YearSchedule:
    year: int
    source: str
    blocks: tuple[HolidayBlock, ...]
    makeup_workdays: tuple[date, ...]

    @property
    def days_off(self) -> frozenset[date]:
        return frozenset(day for block in self.blocks for day in block.dates())


# 国务院办公厅关于2024年部分节假日安排的通知, 国办发明电〔2023〕7号, 2023-10-25
# (published by Xinhua; People's Daily 2023-10-26 p. 6). "与周末连休" single days are listed alone:
# the adjoining weekend is off anyway.
SCHEDULE_2024 = YearSchedule(
    year=2024,
    source="国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号，2023年10月25日）",
    blocks=(
        HolidayBlock("New Year's Day 元旦", date(2024, 1, 1), date(2024, 1, 1), 1),
        HolidayBlock("Spring Festival 春节", date(2024, 2, 10), date(2024, 2, 17), 8),
        HolidayBlock("Qingming 清明节", date(2024, 4, 4), date(2024, 4, 6), 3),
        HolidayBlock("Labour Day 劳动节", date(2024, 5, 1), date(2024, 5, 5), 5),
        HolidayBlock("Dragon Boat 端午节", date(2024, 6, 10), date(2024, 6, 10), 1),
        HolidayBlock("Mid-Autumn 中秋节", date(2024, 9, 15), date(2024, 9, 17), 3),
        HolidayBlock("National Day 国庆节", date(2024, 10, 1), date(2024, 10, 7), 7),
    ),
    makeup_workdays=(
        date(2024, 2, 4),
        date(2024, 2, 18),
        date(2024, 4, 7),
        date(2024, 4, 28),
        date(2024, 5, 11),
        date(2024, 9, 14),
        date(2024, 9, 29),
        date(2024, 10, 12),
    ),
)

# 国务院办公厅关于2025年部分节假日安排的通知, 国办发明电〔2024〕12号, 2024-11-12
# (published by Xinhua 2024-11-12; first year under the revised 全国年节及纪念日放假办法).
SCHEDULE_2025 = YearSchedule(
    year=2025,
    source="国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024年11月12日）",
    blocks=(
        HolidayBlock("New Year's Day 元旦", date(2025, 1, 1), date(2025, 1, 1), 1),
        HolidayBlock("Spring Festival 春节", date(2025, 1, 28), date(2025, 2, 4), 8),
        HolidayBlock("Qingming 清明节", date(2025, 4, 4), date(2025, 4, 6), 3),
        HolidayBlock("Labour Day 劳动节", date(2025, 5, 1), date(2025, 5, 5), 5),
        HolidayBlock("Dragon Boat 端午节", date(2025, 5, 31), date(2025, 6, 2), 3),
        HolidayBlock("National Day and Mid-Autumn 国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8), 8),
    ),
    makeup_workdays=(
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    ),
)

# 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04 (published by Xinhua 2025-11-04).
SCHEDULE_2026 = YearSchedule(
    year=2026,
    source="国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
    blocks=(
        HolidayBlock("New Year's Day 元旦", date(2026, 1, 1), date(2026, 1, 3), 3),
        HolidayBlock("Spring Festival 春节", date(2026, 2, 15), date(2026, 2, 23), 9),
        HolidayBlock("Qingming 清明节", date(2026, 4, 4), date(2026, 4, 6), 3),
        HolidayBlock("Labour Day 劳动节", date(2026, 5, 1), date(2026, 5, 5), 5),
        HolidayBlock("Dragon Boat 端午节", date(2026, 6, 19), date(2026, 6, 21), 3),
        HolidayBlock("Mid-Autumn 中秋节", date(2026, 9, 25), date(2026, 9, 27), 3),
        HolidayBlock("National Day 国庆节", date(2026, 10, 1), date(2026, 10, 7), 7),
    ),
    makeup_workdays=(
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ),
)

SCHEDULES: dict[int, YearSchedule] = {schedule.year: schedule for schedule in (SCHEDULE_2024, SCHEDULE_2025, SCHEDULE_2026)}


def official_days_off() -> frozenset[date]:
    return frozenset().union(*(schedule.days_off for schedule in SCHEDULES.values()))


def official_makeup_workdays() -> frozenset[date]:
    return frozenset(day for schedule in SCHEDULES.values() for day in schedule.makeup_workdays)
