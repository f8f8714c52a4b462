"""The city's clock: its time zone, the length of a day, and turning epoch seconds into local days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CITY_TIMEZONE_NAME = "Asia/Shanghai"
# China keeps one offset all year (no daylight saving), so SQL can bucket local days with plain integer maths.
CITY_UTC_OFFSET_SECONDS = 8 * 3600
CITY_ZONE = timezone(timedelta(seconds=CITY_UTC_OFFSET_SECONDS), CITY_TIMEZONE_NAME)
DAY_SECONDS = 86_400


def local_day_start(day: date) -> int:
    """UTC epoch seconds of local midnight starting `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=CITY_ZONE).timestamp())


def local_date(epoch_seconds: int) -> date:
    """The local calendar date of an epoch time."""
    return datetime.fromtimestamp(epoch_seconds, CITY_ZONE).date()


def local_text(epoch_seconds: int, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An epoch time as local wall-clock text."""
    return datetime.fromtimestamp(int(epoch_seconds), CITY_ZONE).strftime(pattern)


def days_window(last_day: date, days: int) -> tuple[int, int]:
    """(start, end) epoch seconds covering `days` whole local days ending with `last_day`."""
    end = local_day_start(last_day + timedelta(days=1))
    return end - days * DAY_SECONDS, end


def day_number_to_date(day_number: int) -> date:
    """Turn a SQL local day number ((epoch + offset) // DAY_SECONDS) back into a date."""
    return date(1970, 1, 1) + timedelta(days=int(day_number))


def reference_now(city_facts: dict[str, str], wall_clock: float) -> int:
    """The moment "now" means for the loaded data: its `as_of` for a synthetic snapshot, else the wall clock.

    A generated city ends at its as-of time; measuring it against the real clock would age every order.
    """
    if city_facts.get("synthetic") == "true" and city_facts.get("as_of"):
        return int(city_facts["as_of"])
    return int(wall_clock)
