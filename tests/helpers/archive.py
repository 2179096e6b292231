#!/usr/bin/env python3
"""archive.py -- fixtures for tests/mem-archive-read.bats and bench/archive.

  archive.py pack ARCHIVE NAME FILE [NAME FILE ...]
      ARCHIVE by its name: *.s.zip stored, *.zip deflated, *.tar, *.tgz.
      NAME is the member name as bytes (argv, so any byte but NUL); in a
      zip a name that is not ASCII is written as raw bytes without the
      UTF-8 flag, as old Windows zippers do (readers take it as CP437).
  archive.py record ITEM SOURCE MEMBER key=value...
      a version 2 item record whose media is MEMBER of SOURCE; MEMBER is
      the name as a reader sees it: a zip's raw name converted from CP437
      to UTF-8 unless it is valid UTF-8 already.
  archive.py seen ARCHIVE NAME
      print the name a reader sees (as record writes it), for assertions.
"""
import os
import sys
import tarfile
import zipfile


# CP437's glyphs for the control bytes, as IBM drew them (and libzip maps
# them); Python's cp437 codec keeps them as controls.
CP437_CONTROLS = ('\u263a\u263b\u2665\u2666\u2663\u2660\u2022\u25d8\u25cb\u25d9'
                  '\u2642\u2640\u266a\u266b\u263c\u25ba\u25c4\u2195\u203c\u00b6'
                  '\u00a7\u25ac\u21a8\u2191\u2193\u2192\u2190\u221f\u2194\u25b2\u25bc')


def seen(archive, raw):
    if archive.endswith('.zip') and not raw.isascii():
        try:
            raw.decode('utf-8')
        except UnicodeDecodeError:
            text = raw.decode('cp437')
            text = ''.join(CP437_CONTROLS[ord(c) - 1] if 0 < ord(c) < 32 else
                           '\u2302' if c == '\x7f' else c for c in text)
            return text.encode('utf-8')
    return raw


def pack(archive, pairs):
    if archive.endswith('.zip'):
        method = zipfile.ZIP_STORED if archive.endswith('.s.zip') else zipfile.ZIP_DEFLATED
        swaps = []
        with zipfile.ZipFile(archive, 'w', method) as z:
            for i, (raw, path) in enumerate(pairs):
                if raw.isascii():
                    name = raw.decode()
                else:
                    # a placeholder of the same length, its bytes swapped after
                    name = ('%%0%dd' % len(raw)) % i
                    swaps.append((name.encode(), raw))
                info = zipfile.ZipInfo(name, date_time=(2021, 6, 5, 4, 3, 2))
                info.compress_type = method
                with open(path, 'rb') as f:
                    z.writestr(info, f.read())
        if swaps:
            data = open(archive, 'rb').read()
            for old, new in swaps:
                assert data.count(old) == 2, old    # local header, central directory
                data = data.replace(old, new)
            open(archive, 'wb').write(data)
        return
    mode = 'w:gz' if archive.endswith(('.tgz', '.tar.gz')) else 'w'
    with tarfile.open(archive, mode, format=tarfile.GNU_FORMAT, encoding='utf-8',
                      errors='surrogateescape') as t:
        for raw, path in pairs:
            info = t.gettarinfo(path, os.fsdecode(raw))
            info.mtime = 1622865782
            with open(path, 'rb') as f:
                t.addfile(info, f)


def main():
    argv = [os.fsencode(a) for a in sys.argv[1:]]
    cmd = argv[0]
    if cmd == b'pack':
        rest = argv[2:]
        pack(os.fsdecode(argv[1]), [(rest[i], os.fsdecode(rest[i + 1]))
                                    for i in range(0, len(rest), 2)])
    elif cmd == b'record':
        item, source, member = argv[1], argv[2], argv[3]
        fields = [b'mem-item=2', b'source=' + os.path.abspath(source),
                  b'member=' + seen(os.fsdecode(source), member)] + argv[4:]
        with open(item, 'wb') as f:
            f.write(b'\0'.join(fields) + b'\0')
    elif cmd == b'seen':
        sys.stdout.buffer.write(seen(os.fsdecode(argv[1]), argv[2]))
    else:
        sys.exit('archive.py: unknown command')


main()
