"""The range of dates any input may name, shared by every interface (pages, JSON API, Open311).

Python's datetime stops at years 1 and 9999, so a filter such as ``date_to=9999-12-31`` (plus
the day the filter adds to include the whole day) or ``start_date=0001-01-01`` (moved to UTC)
overflowed into a 500. No case of a district predates 1900 or outlives 2999: a date outside
is refused with a message before any arithmetic is done on it.
"""

from datetime import date, datetime

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def day_in_range(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DAY <= day <= LATEST_DAY
