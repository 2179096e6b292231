#!/usr/bin/env python3
# archives.py -- fixtures for tests/mem-scan-archive.bats and mksample
# --archives: an export tree packed as the platforms deliver it.
#
#   archives.py zip DIR OUT.zip [--deflate] [--stream]
#       every file under DIR as a member (its path relative to DIR), with its
#       mtime in an Info-ZIP "UT" extra field; --deflate compresses,
#       --stream writes to a pipe (local headers without sizes: data
#       descriptors, as streaming zippers write them).
#   archives.py parts DIR OUTDIR STEM N [--tgz-last]
#       the files of DIR (sorted) dealt round-robin into N parts
#       OUTDIR/STEM-001.zip ...: a photo and its sidecar, neighbours in the
#       sorted list, land in different parts; with --tgz-last the last part
#       is a .tgz.
#   archives.py rename OUT.zip FROM TO
#       the member name FROM (ASCII) rewritten in place to the bytes TO
#       (given as a Python bytes literal, same length), in the local and the
#       central header, without the UTF-8 flag: a CP437 or any other name.
import io
import os
import struct
import subprocess
import sys
import tarfile
import zipfile


def tree(d):
    out = []
    for root, dirs, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            out.append(os.path.relpath(p, d))
    return sorted(out, key=os.fsencode)


def ut(mtime):
    return struct.pack("<HHBi", 0x5455, 5, 1, int(mtime))


def add_zip(z, d, rel, deflate):
    p = os.path.join(d, rel)
    st = os.stat(p)
    zi = zipfile.ZipInfo.from_file(p, rel)
    zi.extra = ut(st.st_mtime)
    zi.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with open(p, "rb") as src, z.open(zi, "w") as dst:
        dst.write(src.read())


class Pipe(io.RawIOBase):
    """A write-only file without seek or tell: zipfile then writes data
    descriptors."""
    def __init__(self, fp):
        self.fp = fp

    def writable(self):
        return True

    def write(self, b):
        self.fp.write(b)
        return len(b)


def cmd_zip(args):
    d, out = args[0], args[1]
    deflate = "--deflate" in args
    if "--stream" in args:
        with open(out, "wb") as fp:
            with zipfile.ZipFile(Pipe(fp), "w") as z:
                for rel in tree(d):
                    add_zip(z, d, rel, deflate)
    else:
        with zipfile.ZipFile(out, "w") as z:
            for rel in tree(d):
                add_zip(z, d, rel, deflate)


def cmd_parts(args):
    d, outdir, stem, n = args[0], args[1], args[2], int(args[3])
    files = tree(d)
    os.makedirs(outdir, exist_ok=True)
    for k in range(n):
        mine = files[k::n]
        if k == n - 1 and "--tgz-last" in args:
            with tarfile.open(os.path.join(outdir, "%s-%03d.tgz" % (stem, k + 1)),
                              "w:gz", format=tarfile.PAX_FORMAT) as t:
                for rel in mine:
                    t.add(os.path.join(d, rel), rel)
        else:
            with zipfile.ZipFile(os.path.join(outdir, "%s-%03d.zip" % (stem, k + 1)),
                                 "w") as z:
                for rel in mine:
                    add_zip(z, d, rel, rel.endswith(".json"))


def cmd_rename(args):
    out, old, new = args[0], args[1].encode(), eval(args[2])
    assert len(old) == len(new)
    data = bytearray(open(out, "rb").read())
    n = 0
    i = data.find(old)
    while i >= 0:
        data[i:i + len(old)] = new
        n += 1
        i = data.find(old, i + 1)
    assert n == 2, "found %d times" % n
    open(out, "wb").write(data)


def main():
    cmds = {"zip": cmd_zip, "parts": cmd_parts, "rename": cmd_rename}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__ if __doc__ else "usage: archives.py zip|parts|rename ...",
              file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
