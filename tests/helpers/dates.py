"""dates.py -- what tests/mem-scan-corpus.bats compares: mem-scan's
records and exiftool's dates, as UTC seconds and offsets in minutes."""
import calendar
import os
import re
import sys
import time


def records(items):
    """Each record of an OUT/.mem/items folder, as a dict of its fields."""
    for name in os.listdir(items):
        data = open(os.path.join(items, name), "rb").read().decode()
        yield dict(f.split("=", 1) for f in data.split("\0") if "=" in f)


def instant(rec):
    """A record's time ("2023-01-15T08:30:45Z") in seconds."""
    return calendar.timegm(time.strptime(rec["time"], "%Y-%m-%dT%H:%M:%SZ"))


def minutes(text):
    """An offset ("+05:30", "-0800") in minutes, or None."""
    m = re.fullmatch(r"([+-])(\d\d):?(\d\d)", text or "")
    if not m:
        return None
    return (1 if m.group(1) == "+" else -1) * (int(m.group(2)) * 60 + int(m.group(3)))


def as_read(rec):
    """A record's time as the file's own tags gave it: (instant, offset in
    minutes or None). A wall clock that mem-scan gave an offset found
    elsewhere (the zone at its GPS position, its file's other dates', its
    neighbours') goes back to that wall clock, taken as UTC."""
    t, off = instant(rec), minutes(rec.get("offset"))
    if rec.get("offset_source") in ("gps", "tags", "neighbours", "default"):
        return t + off * 60, None
    return t, off


def exiftool_date(text):
    """exiftool's "2023:01:15 10:30:45" with or without an offset ("Z" is
    +00:00): the instant (the wall clock taken as UTC when there is no
    offset) and the offset, or None for no date."""
    m = re.fullmatch(r"(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)(.*)", str(text or ""))
    if not m or m.group(1) == "0000":
        return None
    wall = calendar.timegm(tuple(int(g) for g in m.groups()[:6]) + (0, 0, 0))
    off = 0 if m.group(7) == "Z" else minutes(m.group(7))
    return (wall - (off or 0) * 60, off)


def report(bad, summary, enough):
    """What is wrong, one a line, then the summary; the exit status is 1
    when anything is wrong or too few were compared (not enough)."""
    for b in bad:
        print(b)
    print(summary)
    sys.exit(1 if bad or not enough else 0)
