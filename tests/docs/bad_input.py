#!/usr/bin/python3
"""Keep docs/bad-input.md true: every message it quotes must appear in the
test its row links (a golden case directory, searched file by file, or a
test source file).

usage: bad_input.py [DOC]   (run from the top of the tree)
"""
import os
import re
import sys

ROW = re.compile(r"^\|(?P<input>[^|]*)\|\s*`(?P<msg>.*)`\s*\|"
                 r"\s*\[[^]]*\]\((?P<link>[^)]*)\)\s*\|\s*$")


def texts(path):
    if os.path.isfile(path):
        yield path
        return
    for top, _, names in os.walk(path):
        for n in names:
            yield os.path.join(top, n)


def found(msg, path):
    for f in texts(path):
        with open(f, "rb") as fh:
            data = fh.read()
        if f.endswith(".c"):
            # C string literals split over lines: join "..." "..." pieces
            data = re.sub(rb'"\s*\n\s*"', b"", data)
            data = data.replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        if msg.encode() in data:
            return True
    return False


def main():
    doc = sys.argv[1] if len(sys.argv) > 1 else "docs/bad-input.md"
    base = os.path.dirname(doc)
    rows = bad = 0
    with open(doc) as f:
        for n, line in enumerate(f, 1):
            m = ROW.match(line)
            if not m:
                continue
            rows += 1
            path = os.path.normpath(os.path.join(base, m.group("link")))
            if not os.path.exists(path):
                print("%s:%d: the linked test '%s' does not exist" %
                      (doc, n, path))
                bad += 1
            elif not found(m.group("msg"), path):
                print("%s:%d: '%s' is not in %s" %
                      (doc, n, m.group("msg"), path))
                bad += 1
    if rows < 50:
        print("%s: only %d rows with a message and a test" % (doc, rows))
        return 1
    if bad:
        return 1
    print("bad-input table: %d messages found in their tests" % rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
