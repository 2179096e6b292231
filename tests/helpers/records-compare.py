#!/usr/bin/env python3
# records-compare.py A B -- the item records of two scans of one export, one
# from its directory and one from its archives, field by field: every record
# (by its ID) in both, with the same fields in the same order, except what
# says where the media lies (source, member, member_sig, overlay,
# overlay_member). Prints each difference; exit 0 when there is none, 1 when
# there is, 2 on a usage error. A B: the scans' OUT/.mem/items directories.
# With --members, every record of B must name a member (member= and a
# member_sig of SIZE:MTIME:CRC32:INDEX), but for linked items (url=, link=).
import os
import re
import sys

WHERE = {b"source", b"member", b"member_sig", b"overlay", b"overlay_member"}
SIG = re.compile(rb"^[0-9]+:-?[0-9]+:([0-9a-f]{8}|-):[0-9]+$")


def load(d):
    recs = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".item"):
            continue
        with open(os.path.join(d, name), "rb") as fp:
            data = fp.read()
        fields = [f.split(b"=", 1) for f in data.split(b"\0") if f]
        recs[name] = fields
    return recs


def main():
    args = sys.argv[1:]
    members = "--members" in args
    args = [a for a in args if a != "--members"]
    if len(args) != 2:
        print("usage: records-compare.py [--members] A B", file=sys.stderr)
        return 2
    a, b = load(args[0]), load(args[1])
    bad = 0
    for name in sorted(set(a) | set(b)):
        if name not in b or name not in a:
            print("%s: only in %s" % (name, "A" if name in a else "B"))
            bad = 1
            continue
        fa = [f for f in a[name] if f[0] not in WHERE and f[0] != b"mem-item"]
        fb = [f for f in b[name] if f[0] not in WHERE and f[0] != b"mem-item"]
        if fa != fb:
            for x, y in zip(fa + [None] * len(fb), fb + [None] * len(fa)):
                if x != y:
                    print("%s: %r != %r" % (name, x, y))
                    bad = 1
                    break
        if members:
            kb = dict((f[0], f[1] if len(f) > 1 else b"") for f in b[name])
            if b"url" in kb or b"link" in kb:
                continue
            if b"member" not in kb or not SIG.match(kb.get(b"member_sig", b"")):
                print("%s: no member= or member_sig= in B" % name)
                bad = 1
            if b"overlay" in kb and b"overlay_member" not in kb:
                print("%s: overlay without overlay_member in B" % name)
                bad = 1
    if not a and not b:
        print("no records at all")
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
