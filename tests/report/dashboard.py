#!/usr/bin/python3
"""torq-apply report --html and --history against a real torq-sim.

usage: dashboard.py TORQ_APPLY TORQ_SIM

Starts torq-sim on a free port and fills it (check.py's organisation, a
small one, plus a workspace named <script>alert(1)</script> and one with
'&', quotes and '<b>' in its name). The history directory starts with
three snapshots written here with earlier times (40, 31 and 10 days
ago, each with figures of its own) and one broken file; then report runs
three times with --history, the organisation changed through the API
between runs. Checked, each against torq-sim's raw state (GET
/_sim/state, counted by check.py's rules):

- the broken file gives a warning naming it, and the run goes on;
- each run writes one snapshot named by its UTC time, names sorting as
  times do;
- JSON and CSV hold every figure, and their changes since the previous
  run and since the snapshot nearest to but not after 30 days ago (the
  31-day one, not the 40- or 10-day one); "30_days" is null, and the CSV
  cells empty, for a workspace that was not in that snapshot;
- the HTML page: tidy -e -q finds nothing; no external resource; the
  page without script holds every name and figure; in headless Chromium
  (one --dump-dom, one --screenshot) the DOM holds every workspace name
  as text, every figure, one total trend line per figure with a point
  per snapshot, the hostile name as text and never as an element, and
  the screenshot is not blank.

When Chromium cannot start, the browser checks print SKIP with the
reason; everything else still runs. Prints one PASS/FAIL/SKIP line per
check; exits 1 on any failure.
"""
import csv
import datetime
import html.parser
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (the organisation's helpers and counting rules)

FIGURES = check.FIGURES + ("owners",)
HOSTILE = "<script>alert(1)</script>"
AMP = 'Globex & "Co" <b>'
DAY = 86400


class Checks(check.Checks):
    def skip(self, name, why):
        print("SKIP report/%s: %s" % (name, why))


def figures_now(sim):
    """{name: {id, figures (owners a count)}} and totals, from the state."""
    exp = check.expected(sim.raw("GET", "/_sim/state"))
    tot = check.expected_totals(exp)
    for w in exp.values():
        w["figures"]["owners"] = len(w["owners"])
    return exp, tot


def populate(sim):
    acme = check.create_workspace(sim, "Acme SOC")
    ids = check.roles(sim, acme)
    check.invite(sim, acme, ids, "alice@acme.example", "Owner")
    check.invite(sim, acme, ids, "dan@acme.example", "Cases Analyst")
    check.import_workflow(sim, acme, "Triage", "webhook", True)
    check.import_workflow(sim, acme, "Enrich", "nested", True)
    hostile = check.create_workspace(sim, HOSTILE)
    amp = check.create_workspace(sim, AMP)
    check.runner(sim, amp, "amp-runner", "docker")
    return acme, hostile, amp


def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def old_snapshot(doc, t, bump):
    """doc (a report --json document) as if taken at t, figures + bump."""
    old = json.loads(json.dumps(doc))
    old["taken"] = stamp(t).strftime("%Y-%m-%dT%H:%M:%SZ")
    # one workspace was not there yet: its 30-day change is unknown
    old["workspaces"] = [w for w in old["workspaces"] if w["name"] != AMP]
    for w in old["workspaces"] + [old["totals"]]:
        for k in check.FIGURES:
            w[k] = max(0, w[k] - bump)
    return old


def write_old(hist, doc, now):
    """Three earlier snapshots and a broken file; the 31-day one."""
    chosen = None
    for days, bump in ((40, 3), (31, 1), (10, 2)):
        t = now - days * DAY
        snap = old_snapshot(doc, t, bump)
        name = stamp(t).strftime("%Y%m%dT%H%M%S.000000Z.json")
        with open(os.path.join(hist, name), "w") as f:
            json.dump(snap, f)
        if days == 31:
            chosen = snap
    with open(os.path.join(hist, "20200101T000000.000000Z.json"), "w") as f:
        f.write('{"format_version": 1, "taken": "2020-01-')
    return chosen


def figure_of(snapshot_row, k):
    v = snapshot_row[k]
    return len(v) if isinstance(v, list) else v


def want_changes(exp, tot, prev, month):
    """Per name (and None for the totals): (since previous, since 30 d)."""
    out = {}
    rows = {w["name"]: w for w in prev["workspaces"]}
    mrows = {w["name"]: w for w in month["workspaces"]}
    for name, e in list(exp.items()) + [(None, None)]:
        now = e["figures"] if e else dict(tot)
        p = rows.get(name) if name else prev["totals"]
        m = mrows.get(name) if name else month["totals"]
        out[name] = tuple(
            {k: now[k] - figure_of(r, k) for k in FIGURES} if r else None
            for r in (p, m))
    return out


def check_json(c, doc, exp, tot, changes, month_taken):
    bad = []
    for w in doc["workspaces"]:
        e = exp[w["name"]]
        for k in check.FIGURES:
            if w[k] != e["figures"][k]:
                bad.append("%s %s %r" % (w["name"], k, w[k]))
        if (w["since_previous"], w["since_30_days"]) != changes[w["name"]]:
            bad.append("%s changes %r %r, want %r" % (
                w["name"], w["since_previous"], w["since_30_days"],
                changes[w["name"]]))
    t = doc["totals"]
    if (t["since_previous"], t["since_30_days"]) != changes[None]:
        bad.append("totals changes %r %r, want %r" % (
            t["since_previous"], t["since_30_days"], changes[None]))
    c.check("json-changes", not bad and len(doc["workspaces"]) == len(exp),
            "; ".join(bad[:6]))
    c.check("json-30-days-nearest-not-after",
            doc["history"]["30_days"] == month_taken,
            "compared with %r, want %r" % (doc["history"]["30_days"],
                                           month_taken))


def check_csv(c, text, changes):
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    head = text.split("\r\n", 1)[0].split(",")
    c.check("csv-old-columns-first",
            head[:8] == ["name", "id"] + list(check.FIGURES) + ["owners"] and
            len(head) == 8 + 2 * len(FIGURES), "header %r" % head)
    bad = []
    for r in rows:
        name = None if r["name"] == "total" else r["name"]
        for i, suffix in enumerate(("_since_previous", "_since_30_days")):
            want = changes[name][i]
            got = [r[k + suffix] for k in FIGURES]
            exp = [str(want[k]) if want[k] <= 0 else "+%d" % want[k]
                   for k in FIGURES] if want else [""] * len(FIGURES)
            if got != exp:
                bad.append("%r%s: %r, want %r" % (name, suffix, got, exp))
    c.check("csv-changes", not bad and len(rows) == len(changes),
            "; ".join(bad[:6]))


class Dom(html.parser.HTMLParser):
    """What the checks need from a page: elements, attributes, text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.text = []
        self.cell = None        # the data-workspace cell being read
        self.names = []         # the text of each data-workspace cell

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "td" and "data-workspace" in a:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.names.append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def parse(text):
    d = Dom()
    d.feed(text)
    d.close()
    return d


def check_page(c, label, text, exp, tot, points):
    d = parse(text)
    c.check(label + "-names-as-text",
            sorted(d.names) == sorted(exp) and
            sorted(a["data-workspace"] for t, a in d.tags
                   if "data-workspace" in a) == sorted(exp),
            "cells %r, want %r" % (d.names, sorted(exp)))
    scripts = [a for t, a in d.tags if t == "script"]
    c.check(label + "-hostile-name-inert",
            len(scripts) == 1 and not scripts[0] and
            not any(t in ("b",) for t, a in d.tags) and
            HOSTILE in "".join(d.text) and AMP in "".join(d.text),
            "%d script elements, names in text: %s" % (
                len(scripts), HOSTILE in "".join(d.text)))
    cells = [(a["data-figure"], a.get("data-v")) for t, a in d.tags
             if t == "td" and "data-figure" in a]
    want = []
    for name in sorted(exp, key=lambda n: (n.lower(), n)):
        want += [(k, str(exp[name]["figures"][k])) for k in FIGURES]
    want += [(k, str(tot[k])) for k in FIGURES]
    c.check(label + "-figures", cells == want,
            "cells %r, want %r" % (cells[:8], want[:8]))
    cards = re.findall(r'<div class="value" data-figure="([a-z_]+)">'
                       r'([0-9]+)</div>', text)
    c.check(label + "-totals", cards == [(k, str(tot[k])) for k in FIGURES],
            "got %r" % cards)
    lines = [a for t, a in d.tags if t == "polyline" and
             a.get("data-series") == "total"]
    c.check(label + "-trend-per-figure",
            [a["data-metric"] for a in lines] == list(FIGURES) and
            all(len(a["points"].split()) == points for a in lines),
            "total lines %r" % [(a.get("data-metric"),
                                 len(a.get("points", "").split()))
                                for a in lines])
    per_ws = [a for t, a in d.tags if t == "polyline" and
              a.get("data-series") == "workspace"]
    c.check(label + "-trend-per-workspace",
            len(per_ws) == len(FIGURES) * len(exp),
            "%d workspace lines" % len(per_ws))


def png_pixels(data):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = head[:4]
    if depth != 8 or ctype not in (2, 6):
        raise ValueError("PNG of depth %d, colour type %d" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, cc = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - cc
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else cc
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def check_screenshot(c, path):
    with open(path, "rb") as f:
        w, h, rows, bpp = png_pixels(f.read())
    colours, ink = set(), 0
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = row[x:x + 3]
            colours.add(px)
            ink += px != b"\xff\xff\xff"
    c.check("chromium-screenshot-not-blank",
            len(colours) > 50 and ink > w * h // 100,
            "%d colours, %d of %d pixels not white" % (len(colours), ink,
                                                        w * h))


def chromium(*args):
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-dev-shm-usage", "--no-first-run",
           "--user-data-dir=" + tempfile.mkdtemp(prefix="torq-chromium-")]
    try:
        return subprocess.run(cmd + list(args), capture_output=True,
                              timeout=90, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return e


def browser_checks(c, page, exp, tot, points, work):
    url = "file://" + os.path.abspath(page)
    p = chromium("--dump-dom", url)
    if not isinstance(p, subprocess.CompletedProcess) or p.returncode or \
            b"<html" not in p.stdout:
        why = p if not isinstance(p, subprocess.CompletedProcess) else \
            "exit %d: %s" % (p.returncode, p.stderr.decode()[-300:])
        c.skip("chromium", "chromium cannot start (%s); the browser "
               "checks did not run" % why)
        return
    check_page(c, "chromium-dom", p.stdout.decode(), exp, tot, points)
    shot = os.path.join(work, "page.png")
    p = chromium("--screenshot=" + shot, "--window-size=1024,1400",
                 "--hide-scrollbars", url)
    c.check("chromium-screenshot", os.path.exists(shot),
            "no screenshot: %r" % p)
    if os.path.exists(shot):
        check_screenshot(c, shot)


def main():
    tool, sim_bin = (os.path.abspath(a) for a in sys.argv[1:3])
    proc, sim = check.start_sim(sim_bin)
    work = tempfile.mkdtemp(prefix="torq-html-")
    c = Checks()
    try:
        if not sim:
            return 1
        acme, hostile, amp = populate(sim)
        hist = os.path.join(work, "hist", "new")
        rc, out, err = check.run(tool, sim.base, "--json")
        now = datetime.datetime.now(datetime.timezone.utc).timestamp()
        os.makedirs(hist)
        month = write_old(hist, json.loads(out), int(now))

        rc, out, err = check.run(tool, sim.base, "--json", "--history", hist)
        c.check("bad-snapshot-warned",
                rc == 0 and "warning: skipping history snapshot '%s/"
                "20200101T000000.000000Z.json': not valid JSON" % hist
                in err, "exit %d, stderr %r" % (rc, err))
        check.invite(sim, acme, check.roles(sim, acme), "bob@acme.example",
                     "Contributor")
        check.runner(sim, acme, "acme-k8s", "kubernetes")
        rc, out, err = check.run(tool, sim.base, "--history", hist, "--csv")
        c.check("second-run", rc == 0, "exit %d, %r" % (rc, err))
        snaps = sorted(n for n in os.listdir(hist) if n.endswith(".json"))
        with open(os.path.join(hist, snaps[-1])) as f:
            prev = json.load(f)
        check.import_workflow(sim, hostile, "Alert", "webhook", True)
        check.invite(sim, amp, check.roles(sim, amp), "ann@amp.example",
                     "Owner")
        exp, tot = figures_now(sim)
        csv_hist = os.path.join(work, "hist-csv")
        shutil.copytree(hist, csv_hist)
        page = os.path.join(work, "page.html")
        rc, out, err = check.run(tool, sim.base, "--json", "--history", hist,
                                 "--html", page)
        c.check("third-run", rc == 0, "exit %d, %r" % (rc, err))
        doc = json.loads(out)
        changes = want_changes(exp, tot, prev, month)
        check_json(c, doc, exp, tot, changes, month["taken"])
        rc, out, err = check.run(tool, sim.base, "--csv", "--history",
                                 csv_hist)
        check_csv(c, out, changes)

        snaps = sorted(n for n in os.listdir(hist) if n.endswith(".json"))
        new = [n for n in snaps if stamp(now - 9 * DAY).strftime(
            "%Y%m%d") < n]
        times = []
        for n in new:
            with open(os.path.join(hist, n)) as f:
                times.append(json.load(f)["taken"])
        c.check("three-snapshots", len(new) == 3 and times == sorted(times)
                and all(re.fullmatch(r"[0-9]{8}T[0-9]{6}\.[0-9]{6}Z\.json",
                                     n) for n in new),
                "new snapshots %r" % new)
        c.check("no-temporary-files", all(n.endswith(".json") for n in
                                          os.listdir(hist)),
                "%r" % os.listdir(hist))

        with open(page) as f:
            text = f.read()
        t = subprocess.run(["tidy", "-e", "-q", page], capture_output=True,
                           text=True)
        c.check("tidy-clean", t.returncode == 0 and not t.stderr.strip() and
                not t.stdout.strip(), "tidy: %s" % t.stderr[:600])
        c.check("self-contained",
                not re.search(r"\b(src|href)=|url\(|@import|https?:", text),
                "an external reference")
        c.check("viewport", '<meta name="viewport"' in text, "no viewport")
        # 3 earlier ones written here, 2 runs before, and this one
        check_page(c, "page", text, exp, tot, 6)
        browser_checks(c, page, exp, tot, 6, work)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("report html checks: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
