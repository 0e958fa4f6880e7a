"""A cron's schedule: five crontab fields in an IANA time zone, read by Celery's own parser.

The same parser reads them when beat runs the schedule (django-celery-beat's
``CrontabSchedule``), so what is accepted here is exactly what fires.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django_celery_beat.tzcrontab import TzAwareCrontab

FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
EXAMPLE = "five fields (minute hour day-of-month month day-of-week), as in `0 9 * * 1-5`"


def fields_of(schedule):
    """``{minute, hour, day_of_month, month_of_year, day_of_week}`` of a crontab line; ValueError if it is none."""
    parts = schedule.split()
    if len(parts) != len(FIELDS):
        raise ValueError(f"A schedule is {EXAMPLE}.")
    fields = dict(zip(FIELDS, parts, strict=True))
    try:
        TzAwareCrontab(**fields)
    except ValueError as error:
        raise ValueError(f"Not a schedule: {error} A schedule is {EXAMPLE}.") from None
    return fields


def zone(name):
    """The time zone of an IANA name (empty: UTC); ValueError for an unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r}: an IANA name, such as Europe/Paris.") from None


def next_fire(schedule, timezone_name, after=None):
    """When the schedule fires next after ``after`` (now), in UTC, on a minute."""
    tz = zone(timezone_name)
    after = (after or datetime.now(dt_timezone.utc)).astimezone(tz)
    remaining = TzAwareCrontab(**fields_of(schedule), tz=tz).remaining_estimate(after)
    # Celery's estimate ends a hair before the minute it means.
    moment = after + remaining + timedelta(seconds=30)
    return moment.replace(second=0, microsecond=0).astimezone(dt_timezone.utc)
