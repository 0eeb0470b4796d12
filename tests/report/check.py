#!/usr/bin/python3
"""torq-apply report against a real torq-sim, checked independently.

usage: check.py TORQ_APPLY TORQ_SIM

Starts torq-sim on a free port, fills the organisation through the API
(new workspaces, users of every role, workflows with nested, case,
system-event, webhook and schedule triggers, some published, one edited
after publishing, step runners, and more than one page of workspaces),
runs `torq-apply report` as JSON, CSV and text with Template's key (the
organisation key), and compares every figure with counts made here from
torq-sim's raw state (GET /_sim/state), by README's definitions:

  billable workflows  published, trigger of the published revision not
                      nested, case or system_event
  nested workflows    published, trigger of the published revision nested
  editors             users whose role is Owner, Contributor or Creator
  case operators      users whose role is Cases Analyst or Cases Contributor
  runners             step runners
  owners              e-mails of users whose role is Owner; the total is
                      the number of distinct e-mails, case-insensitively

The trigger is read from each revision's YAML here (and must agree with
what torq-sim stored). Prints one PASS/FAIL line per check; exits 1 on
any failure.
"""
import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

ADMIN = ("sim-admin", "sim-admin-secret")
PREFIX = "/public/v1alpha"
FIGURES = ("billable_workflows", "nested_workflows", "editors",
           "case_operators", "runners")
BULK = 100          # empty workspaces, so the list takes two pages


class Sim:
    def __init__(self, base):
        self.base = base
        self.tokens = {}

    def raw(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None

    def token(self, key):
        if key not in self.tokens:
            req = urllib.request.Request(
                self.base + "/v1/auth/token",
                data=b"grant_type=client_credentials", method="POST")
            basic = base64.b64encode(("%s:%s" % key).encode()).decode()
            req.add_header("Authorization", "Basic " + basic)
            with urllib.request.urlopen(req, timeout=30) as r:
                self.tokens[key] = json.loads(r.read())["access_token"]
        return self.tokens[key]

    def api(self, key, method, path, body=None):
        return self.raw(method, PREFIX + path, body, self.token(key))


def create_workspace(sim, name):
    got = sim.api(ADMIN, "POST", "/workspaces", {"name": name})
    k = got.get("api_key") or got["workspace"]["api_key"]
    return (k["client_id"], k["client_secret"])


def roles(sim, key):
    return {r["name"]: r["id"]
            for r in sim.api(key, "GET", "/roles?page_size=100")["roles"]}


def invite(sim, key, ids, email, role):
    sim.api(key, "POST", "/users/invite",
            {"email": email, "role_id": ids[role]})


def workflow_yaml(name, trigger, calls=None):
    text = "name: %s\n" % name
    if trigger:
        text += "trigger:\n  type: %s\n" % trigger
    text += "steps:\n"
    if calls:
        text += "  - id: call\n    type: nested\n    workflow: %s\n" % calls
    text += "  - id: wait\n    type: http\n    url: https://x.example/\n"
    return text


def import_workflow(sim, key, name, trigger, publish, calls=None):
    got = sim.api(key, "POST", "/workflows/import",
                  {"yaml": workflow_yaml(name, trigger, calls)})
    if publish:
        sim.api(key, "PATCH", "/workflows/%s/revisions/%s/publish" %
                (got["workflow_id"], got["revision_id"]), {})
    return got["workflow_id"]


def runner(sim, key, name, platform):
    sim.api(key, "POST", "/step_runners",
            {"display_name": name, "platform": platform})


def populate(sim):
    """The organisation the report is checked on; returns every secret."""
    secrets = [ADMIN[1]]

    acme = create_workspace(sim, "Acme SOC")
    secrets.append(acme[1])
    # byte order would put it after "Template"; a person, after "Acme SOC"
    secrets.append(create_workspace(sim, "acme lab")[1])
    ids = roles(sim, acme)
    for email, role in (("alice@acme.example", "Owner"),
                        ("Shared@Example.com", "Owner"),
                        ("bob@acme.example", "Contributor"),
                        ("carol@acme.example", "Creator"),
                        ("dan@acme.example", "Cases Analyst"),
                        ("erin@acme.example", "Cases Contributor"),
                        ("frank@acme.example", "Operator"),
                        ("grace@acme.example", "Viewer"),
                        ("heidi@acme.example", "Cases Viewer")):
        invite(sim, acme, ids, email, role)
    import_workflow(sim, acme, "Enrich", "nested", True)
    import_workflow(sim, acme, "Lookup", "nested", True)
    import_workflow(sim, acme, "Draft nested", "nested", False)
    import_workflow(sim, acme, "Triage", "webhook", True, calls="Enrich")
    import_workflow(sim, acme, "Nightly", "schedule", True)
    import_workflow(sim, acme, "Manual", None, True)     # on_demand
    import_workflow(sim, acme, "On case", "case", True, calls="Lookup")
    import_workflow(sim, acme, "On event", "system_event", True)
    import_workflow(sim, acme, "Draft webhook", "webhook", False)
    # published as a webhook, then edited into a nested workflow: the
    # figures follow the published revision
    wf = import_workflow(sim, acme, "Edited", "webhook", True)
    sim.api(acme, "PUT", "/workflows/" + wf,
            {"yaml": workflow_yaml("Edited", "nested")})
    runner(sim, acme, "acme-k8s", "kubernetes")
    runner(sim, acme, "acme-docker", "docker")

    globex = create_workspace(sim, 'Globex, "Inc."')
    secrets.append(globex[1])
    ids = roles(sim, globex)
    for email, role in (("shared@example.com", "Owner"),
                        ("ann@globex.example", "Cases Analyst"),
                        ("ben@globex.example", "Viewer")):
        invite(sim, globex, ids, email, role)
    import_workflow(sim, globex, "Alert", "webhook", True)
    import_workflow(sim, globex, "Sub", "nested", True)
    runner(sim, globex, "globex-runner", "docker")

    # Only the creator, an Owner: every other figure is 0 and left out
    secrets.append(create_workspace(sim, "Empty")[1])
    for i in range(BULK):
        secrets.append(create_workspace(sim, "Bulk %03d" % i)[1])
    return secrets


def yaml_trigger(text):
    """trigger.type from a workflow's YAML, as the sim-api doc says."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip() == "trigger:":
            for sub in lines[i + 1:]:
                if not sub.startswith((" ", "\t")):
                    break
                m = re.match(r"\s+type:\s*[\"']?([A-Za-z_]+)", sub)
                if m:
                    return m.group(1)
            break
    return "on_demand"


def expected(state):
    """Per workspace name: its figures and owners, from the raw state."""
    editors = {"owner", "contributor", "creator"}
    operators = {"cases analyst", "cases contributor"}
    out = {}
    for ws in state["workspaces"]:
        role = {r["id"]: r["name"].lower() for r in ws.get("roles", [])}
        f = dict.fromkeys(FIGURES, 0)
        for wf in ws.get("workflows", []):
            pub = wf.get("published_revision_id")
            if not pub:
                continue
            rev = [r for r in wf["revisions"] if r["id"] == pub][0]
            trig = yaml_trigger(rev["yaml"])
            if trig != rev.get("trigger", "on_demand"):
                raise AssertionError("workflow %r: YAML trigger %s, "
                                     "stored %s" % (wf["name"], trig,
                                                    rev.get("trigger")))
            if trig == "nested":
                f["nested_workflows"] += 1
            elif trig not in ("case", "system_event"):
                f["billable_workflows"] += 1
        owners = []
        for u in ws.get("users", []):
            r = role.get(u.get("role_id"), "")
            f["editors"] += r in editors
            f["case_operators"] += r in operators
            if r == "owner":
                owners.append(u["email"])
        f["runners"] = len(ws.get("step_runners", []))
        out[ws["name"]] = {"id": ws["id"], "figures": f,
                           "owners": sorted(owners)}
    return out


def expected_totals(exp):
    t = dict.fromkeys(FIGURES, 0)
    for w in exp.values():
        for k in FIGURES:
            t[k] += w["figures"][k]
    t["workspaces"] = len(exp)
    t["owners"] = len({o.lower() for w in exp.values()
                       for o in w["owners"]})
    return t


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS report/" + name)
        else:
            self.failed += 1
            print("FAIL report/%s%s" % (name, ": " + detail if detail
                                        else ""))


def run(tool, base, *args):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TORQ_") and k != "NO_COLOR"}
    env.update(TORQ_ENDPOINT=base, TORQ_CLIENT_ID=ADMIN[0],
               TORQ_CLIENT_SECRET=ADMIN[1])
    cmd = os.environ.get("VALGRIND", "").split() + [tool, "report"]
    p = subprocess.run(cmd + list(args), env=env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def check_json(c, text, exp, tot):
    doc = json.loads(text)
    c.check("json-source", doc.get("source") == "api" and
            "as Torq reports them" in doc.get("note", ""),
            "source %r, note %r" % (doc.get("source"), doc.get("note")))
    rows = doc["workspaces"]
    names = [w["name"] for w in rows]
    c.check("json-sorted-complete",
            names == sorted(exp, key=lambda n: (n.lower(), n)) and
            len(names) == len(set(names)),
            "got %d rows, want %d" % (len(names), len(exp)))
    bad = []
    for w in rows:
        e = exp.get(w["name"])
        if e is None:
            bad.append("unknown workspace %r" % w["name"])
            continue
        if w["id"] != e["id"]:
            bad.append("%s: id %s, want %s" % (w["name"], w["id"], e["id"]))
        for k in FIGURES:
            if w.get(k) != e["figures"][k]:
                bad.append("%s: %s %r, want %d" % (w["name"], k, w.get(k),
                                                   e["figures"][k]))
        if sorted(w["owners"]) != e["owners"]:
            bad.append("%s: owners %s, want %s" % (w["name"], w["owners"],
                                                   e["owners"]))
    c.check("json-figures", not bad, "; ".join(bad[:10]))
    c.check("json-totals", doc["totals"] == tot,
            "got %s, want %s" % (doc["totals"], tot))


def check_csv(c, text, exp, tot):
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = ["name", "id"] + list(FIGURES) + ["owners"]
    c.check("csv-header", rows and rows[0] == header,
            "got %s" % (rows[0] if rows else None))
    c.check("csv-crlf", text.endswith("\r\n") and
            text.count("\r\n") >= len(rows),
            "lines do not end with CRLF")
    body, total = rows[1:-1], rows[-1]
    bad = []
    for r in body:
        e = exp.get(r[0])
        if e is None or len(r) != len(header):
            bad.append("bad row %r" % r)
            continue
        want = [r[0], e["id"]] + [str(e["figures"][k]) for k in FIGURES]
        got_owners = sorted(r[-1].split(";")) if r[-1] else []
        if r[:-1] != want or got_owners != e["owners"]:
            bad.append("%r, want %r + %s" % (r, want, e["owners"]))
    c.check("csv-figures", not bad and len(body) == len(exp),
            "; ".join(bad[:10]) or "%d rows, want %d" % (len(body),
                                                          len(exp)))
    c.check("csv-quoted-name", any(r[0] == 'Globex, "Inc."' for r in body),
            "the name with a comma and quotes did not survive")
    want = ["total", ""] + [str(tot[k]) for k in FIGURES] + \
        [str(tot["owners"])]
    c.check("csv-totals", total == want, "got %s, want %s" % (total, want))


def check_text(c, text, exp, tot):
    lines = text.splitlines()
    c.check("text-header", lines and lines[0].split()[:2] ==
            ["workspace", "workflows"], "got %r" % (lines[:1]))
    label = "total (%d workspaces)" % tot["workspaces"]
    want = [str(tot[k]) for k in FIGURES] + [str(tot["owners"]),
                                             "distinct"]
    rows = [l for l in lines if l.startswith(label)]
    c.check("text-totals", len(rows) == 1 and
            rows[0][len(label):].split() == want,
            "got %r, want %r" % (rows, want))
    bad = []
    for name, e in exp.items():
        row = [l for l in lines if l.startswith(name + "  ")]
        nums = row[0][len(name):].split()[:len(FIGURES)] if row else []
        if nums != [str(e["figures"][k]) for k in FIGURES]:
            bad.append("%s: %r" % (name, row))
    c.check("text-rows", not bad, "; ".join(bad[:10]))
    c.check("text-footnote",
            "Figures as Torq reports them in the workspace list" in text,
            "no footnote")


def start_sim(sim_bin):
    """torq-sim on a free loopback port: the process, and a Sim or None."""
    proc = subprocess.Popen([sim_bin, "--port", "0", "--rate-limit", "0"],
                            stdout=subprocess.PIPE, text=True)
    m = re.search(r"http://127\.0\.0\.1:[0-9]+", proc.stdout.readline())
    if not m:
        print("cannot start torq-sim", file=sys.stderr)
    return proc, Sim(m.group(0)) if m else None


def main():
    tool, sim_bin = (os.path.abspath(a) for a in sys.argv[1:3])
    proc, sim = start_sim(sim_bin)
    c = Checks()
    try:
        if not sim:
            return 1
        secrets = populate(sim)
        listed = []
        page = ""
        while True:
            got = sim.api(ADMIN, "GET", "/workspaces?page_size=100" +
                          ("&page_token=" + urllib.parse.quote(page)
                           if page else ""))
            listed += got["workspaces"]
            page = got.get("next_page_token", "")
            if not page:
                break
        empty = [w for w in listed if w["name"] == "Empty"][0]
        c.check("setup-zero-omitted",
                "runners_usage" not in empty and
                "workflows_usage" not in empty and len(listed) > 100,
                "the API did not leave zero figures out, or one page")
        exp = expected(sim.raw("GET", "/_sim/state"))
        tot = expected_totals(exp)
        c.check("setup-nontrivial",
                tot["billable_workflows"] > 0 and tot["nested_workflows"] > 0
                and tot["case_operators"] > 0 and tot["runners"] > 1 and
                exp["Acme SOC"]["figures"]["billable_workflows"] == 4,
                "expected %s" % exp.get("Acme SOC"))
        outputs = {}
        for fmt in ("--json", "--csv", None):
            rc, out, err = run(tool, sim.base, *([fmt] if fmt else []))
            c.check("exit%s" % (fmt or "-text"), rc == 0 and not err,
                    "exit %d, stderr %r" % (rc, err))
            outputs[fmt] = out
            leaked = [s for s in secrets if s in out or s in err]
            c.check("no-secret%s" % (fmt or "-text"), not leaked,
                    "a key's secret appears in the output")
        check_json(c, outputs["--json"], exp, tot)
        check_csv(c, outputs["--csv"], exp, tot)
        check_text(c, outputs[None], exp, tot)
        rc, out, err = run(tool, sim.base, "--json", "--csv")
        c.check("formats-exclusive", rc == 1 and not out and
                "cannot be combined" in err, "exit %d, %r" % (rc, err))
    finally:
        proc.terminate()
        proc.wait()
    print("report checks: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
