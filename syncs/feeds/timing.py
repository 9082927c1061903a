"""When a feed is due: every N seconds/minutes/hours/days, or a cron expression.

Cron expressions are read by croniter in TIME_ZONE, so "0 3 * * *" is 03:00 local time, also
across daylight-saving changes.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from django.conf import settings

_EVERY = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY_SECONDS = 60
MAX_EVERY_SECONDS = 90 * 86400


class ScheduleError(ValueError):
    """A schedule that cannot be understood; the message says what is accepted."""


def every_parse(text: str) -> int:
    """ "15m" → 900. Between a minute and 90 days."""
    match = _EVERY.match(text or "")
    if not match:
        raise ScheduleError(
            f"{text!r} is not an interval: write a number and a unit, e.g. 90s, 15m, 6h or 1d."
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if not MIN_EVERY_SECONDS <= seconds <= MAX_EVERY_SECONDS:
        raise ScheduleError("A feed runs at most every minute and at least every 90 days.")
    return seconds


def every_format(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cron_check(expression: str) -> str:
    """The expression, normalised; five fields, minute first, as in crontab(5)."""
    expression = " ".join((expression or "").split())
    if len(expression.split(" ")) != 5 or not croniter.is_valid(expression):
        raise ScheduleError(
            f"{expression!r} is not a cron expression: five fields, minute hour day month "
            'weekday, e.g. "0 3 * * *" for 03:00 every day.'
        )
    return expression


def next_run_after(*, moment: datetime, every_seconds: int | None, cron: str) -> datetime:
    """The first time after `moment` the schedule is due."""
    if every_seconds:
        return moment + timedelta(seconds=every_seconds)
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return croniter(cron, local).get_next(datetime)


def schedule_describe(*, every_seconds: int | None, cron: str) -> str:
    if every_seconds:
        return f"every {every_format(every_seconds)}"
    return f"cron {cron} ({settings.TIME_ZONE})"
