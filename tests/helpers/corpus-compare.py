#!/usr/bin/env python3
"""corpus-compare.py BEFORE AFTER WANT.json -- compare two `exiftool -a -G1 -s`
listings of many files (the sources, then mem-exif's outputs, in the same
order) and print one line per problem:

  - a tag that was there is gone or has another value, except the ones
    mem-exif sets (the date and offset tags, ExifVersion when it raises it
    to 0232, GPS, ImageDescription, UserComment, and, in videos, the
    QuickTime dates, place and caption);
  - a tag mem-exif sets does not read back as WANT says: the camera's own
    date and place when the file had them, else ours.

Exits 0 when there is nothing to say. The groups exiftool makes up about
the file (System, File, Composite, ExifTool) are not compared.
"""
import json
import re
import sys
from collections import Counter

SKIP_GROUPS = {"System", "File", "Composite", "ExifTool"}
# tags we set; a kept one must still read the same
SET_TAGS = {
    ("IFD0", "ImageDescription"), ("IFD0", "ModifyDate"),
    ("ExifIFD", "DateTimeOriginal"), ("ExifIFD", "CreateDate"),
    ("ExifIFD", "OffsetTime"), ("ExifIFD", "OffsetTimeOriginal"),
    ("ExifIFD", "OffsetTimeDigitized"), ("ExifIFD", "UserComment"),
    ("ExifIFD", "ExifVersion"),
}
VIDEO_SET = {
    "CreateDate", "ModifyDate", "TrackCreateDate", "TrackModifyDate",
    "MediaCreateDate", "MediaModifyDate", "GPSCoordinates", "Description",
    "Comment", "ContentCreateDate", "CreationDate", "LocationInformation",
    "Location",
}
# what a video's moov changing size moves: offsets, not values
VIDEO_MOVED = {"MovieDataOffset", "MediaDataOffset"}

LINE = re.compile(r"^\[([^\]]+)\]\s+(\S+)\s*: ?(.*)$")


def listings(path):
    files, cur = [], None
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("======== "):
                cur = Counter()
                files.append((line[9:], cur))
                continue
            m = LINE.match(line)
            if m is None or cur is None:
                continue
            group, tag, value = m.groups()
            if group not in SKIP_GROUPS:
                cur[(group, tag, value)] += 1
    return files


def is_set(group, tag, is_video):
    if group == "GPS" or (group, tag) in SET_TAGS:
        return True
    # an MPF image that lies past the end of the file is shown from the
    # file's start, so it moves with the APP1; the segment itself is
    # compared byte for byte by corpus-data.py
    if group.startswith("MPImage") and tag == "MPImageStart":
        return True
    if is_video and (tag in VIDEO_SET or tag in VIDEO_MOVED or group in ("UserData", "Keys", "ItemList")
                     and tag in ("GPSCoordinates", "CreationDate", "Description", "Comment",
                                 "ContentCreateDate", "LocationInformation")):
        return True
    return False


def value(tags, group, tag):
    for (g, t, v), n in tags.items():
        if g == group and t == tag:
            return v
    return None


def present_date(v):
    return v is not None and v.strip() != "" and not v.startswith("0000")


def check_video(src, a, b, want):
    """The caption always; the date and place when the file had none."""
    problems = 0
    if value(b, "UserData", "Comment") != want["caption"]:
        print("%s: UserData:Comment %r, want %r" % (src, value(b, "UserData", "Comment"), want["caption"]))
        problems += 1
    had_date = any(t in ("CreationDate", "ContentCreateDate") or (g == "QuickTime" and t == "CreateDate"
                   and not v.startswith("0000")) for (g, t, v) in a)
    if not had_date:
        exp = want["date"] + want["offset"]
        if value(b, "Keys", "CreationDate") != exp:
            print("%s: Keys:CreationDate %r, want %r" % (src, value(b, "Keys", "CreationDate"), exp))
            problems += 1
    had_place = any(t in ("GPSCoordinates", "LocationInformation") for (g, t, v) in a)
    if not had_place and not (value(b, "Keys", "GPSCoordinates") or "").startswith(want["lat"]):
        print("%s: Keys:GPSCoordinates %r, want %r" % (src, value(b, "Keys", "GPSCoordinates"), want["lat"]))
        problems += 1
    return problems


def main():
    before, after = listings(sys.argv[1]), listings(sys.argv[2])
    want = json.load(open(sys.argv[3]))
    problems = 0
    if len(before) != len(after):
        print("listings differ in length: %d against %d" % (len(before), len(after)))
        return 1
    for (src, a), (dst, b) in zip(before, after):
        is_video = dst.lower().endswith((".mp4", ".mov", ".m4v", ".3gp"))
        is_image = dst.lower().endswith((".jpg", ".jpeg", ".png"))
        for (group, tag, val), n in a.items():
            if is_set(group, tag, is_video):
                continue
            if b[(group, tag, val)] < n:
                print("%s: %s:%s lost or changed (was %r, now %r)" %
                      (src, group, tag, val, value(b, group, tag)))
                problems += 1
        if is_video:
            problems += check_video(src, a, b, want)
            continue
        if not is_image:
            continue
        old_date = value(a, "ExifIFD", "DateTimeOriginal")
        exp = old_date if present_date(old_date) else want["date"]
        got = value(b, "ExifIFD", "DateTimeOriginal")
        if got != exp:
            print("%s: DateTimeOriginal %r, want %r" % (src, got, exp))
            problems += 1
        if not present_date(old_date) and value(b, "ExifIFD", "OffsetTimeOriginal") != want["offset"]:
            print("%s: OffsetTimeOriginal %r, want %r" % (src, value(b, "ExifIFD", "OffsetTimeOriginal"),
                                                          want["offset"]))
            problems += 1
        if present_date(old_date) or value(b, "ExifIFD", "OffsetTimeOriginal") is not None:
            ver = value(b, "ExifIFD", "ExifVersion")
            if value(b, "ExifIFD", "OffsetTimeOriginal") is not None and (ver is None or ver < "0231"):
                print("%s: OffsetTime under ExifVersion %r" % (src, ver))
                problems += 1
        old_lat = value(a, "GPS", "GPSLatitude")
        exp = old_lat if old_lat is not None else want["lat"]
        if value(b, "GPS", "GPSLatitude") != exp:
            print("%s: GPSLatitude %r, want %r" % (src, value(b, "GPS", "GPSLatitude"), exp))
            problems += 1
        for group, tag in (("IFD0", "ImageDescription"), ("ExifIFD", "UserComment")):
            if value(b, group, tag) != want["caption"]:
                print("%s: %s:%s %r, want %r" % (src, group, tag, value(b, group, tag), want["caption"]))
                problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
