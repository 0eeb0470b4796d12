#!/usr/bin/python3
"""Soak: hundreds of applies of a changing manifest under faults and crashes.

usage: soak.py TORQ_APPLY TORQ_SIM [--seconds N] [--seed S] [--runs N]
                 [--keep] [--verbose] [--sim-rate-limit RPS] [--quirks LIST]

--seconds (default 300) bounds the soak: no run starts after it, and a run
still going DEADLINE_GRACE_S later is killed (as a crash) before the final
check. --runs stops after that many applies. --seed (default: random,
printed) makes it repeatable. torq-sim's own rate limit is off unless
--sim-rate-limit is given (429s are injected instead, so runs stay short).

One torq-sim on port 0, one work directory holding the organisation's key
(secrets/org.json, 0600), a manifest this script writes (soak.yaml) and
its workflow files (workflows/*.yaml). The first run creates workspace
'Soak <seed>' (create: true, credentials_out: secrets/ws.json); every
later run targets it, under `prune` (policy or --prune), after 0 to 6
seeded edits of the manifest: users and their roles (and the case of their
e-mails), claim mappings (their order too, copy_from_source on and off),
integrations and their parameters (literals, ${secret:env:NAME},
${secret:file:PATH} and a secret inside a longer string; new secret values
every run), step runners, workflows (from files or the source workspace:
content, comment-only edits, publish on and off, tags added and removed,
nested calls between them).

Each run gets seeded fault rules (POST /_sim/faults): 429 with and without
Retry-After, 500/502/503/504, drop, drop_after, latency, expire_token and
chaos, at a rate, on the Nth or every Nth request, on every route or one;
about one run in eight is killed with SIGKILL at a seeded moment (never
before the new workspace's key file exists: Torq shows the key only once).

After every run, faults off, torq-sim's state must hold no duplicate
object. After a run that exits 0 (and at the end):
  - `plan --detailed-exitcode` exits 0;
  - GET /_sim/state equals the manifest: user e-mails (case-insensitive)
    and role names (plus only Owners the manifest once listed, which
    prune keeps), claim mappings in rank order (the source's first with
    copy_from_source) with their roles, integrations by name and type with
    exactly the parameters the manifest resolves to, step runners by name,
    platform and cluster management, workflows by name with their content
    (comments aside), tags and published state; exactly the workspaces
    Template and ours; the Template workspace untouched;
  - no secret value appears in torq-sim's state outside integration
    parameters.
A run that fails under faults must fail for a reason the faults explain
(an injected status, a dropped connection, an outcome unknown, a token
expired over and over, a lost install command): a step failing with, say,
a 404 or a 400 fails the soak, and so does any failure when only latency
was injected. It is followed by the next run; after K=6 failures in a row
the faults are cleared and the next run must succeed.
Field case: about one step in WRONG_KEY_ONE_IN is an apply whose key file
holds another workspace's key (the organisation's copied over it, or one
recorded for another workspace): it must exit 1 before any request.
Field case: about one step in RACE_ONE_IN is two applies of the same
edited manifest at once (every request 20 ms late, no other fault): both
must exit 0, neither may report the other as an interrupted run, no object
may be duplicated or lost (the workspace lock makes the second wait and
plan afresh). Every other such case runs the two applies from two copies
of the work tree (two machines, two locks): what both made may then be
duplicated; every copy must be shown by the next plan as a problem naming
`--dedupe`, `apply --dedupe` must succeed, and the workspace must then
hold each object once and match the manifest.
After a SIGKILL the same manifest is applied without faults until it
succeeds (at most 3 times), then checked. After every run all captured
output and every file under the work directory are searched for every
secret value ever used, and key, state and install-command files must be
0600. A client that exits by a signal, with an unexpected exit code, with
a sanitizer report, or that hangs (a subprocess timeout) fails the soak.

Install commands (Torq shows a runner's once): an apply that reports a
runner whose install command never reached its file (`! step runner ...:
install command never delivered`) is followed by `apply --replace
step_runner:NAME`, which must succeed; after every converged check each
runner of the manifest with install_commands_out has its file, naming that
runner. At the end, the field case "kills between a runner's creation and
its file": torq-sim holds back the answer of a runner's creation
(latency_after) while apply gets SIGKILL, two SIGTERMs, or one SIGTERM;
verdict "no install command lost silently": the plan shows the loss, apply
exits 1 naming the runner, --replace mends it; after one SIGTERM the step
finishes and its file is written.

The same --seed gives the same sequence of edits, secrets and fault rules
(what the faults hit depends on timing). The first violation prints the
seed, the run, the manifest and the output, keeps the work directory and
exits 1. At the end it prints a summary and exits 0.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

ROLES = ["Owner", "Contributor", "Creator", "Operator", "Viewer",
         "Interact Only", "Cases Viewer", "Workspace Viewer",
         "Cases Analyst", "Cases Contributor"]
CREATOR = "owner@example.com"   # the org key's user: Owner of a new workspace

USER_POOL = ["user%02d@soak.example" % i for i in range(1, 19)] + [
    "first.last+ops@soak.example", "x_y@sub.soak.example", CREATOR]
MAPPING_POOL = ([("groups", "soak-%d" % i) for i in range(1, 8)] +
                [("department", "dept-%d" % i) for i in range(1, 5)] +
                [("email_domain", "d%d.soak.example" % i) for i in (1, 2)] +
                [("groups", "team with space"), ("groups", "\u00e9quipe")])
INTEGRATION_POOL = [("slack-a", "slack"), ("jira-b", "jira"),
                    ("Webhook C", "webhook"), ("virustotal-d", "virustotal"),
                    ("okta-e", "okta"), ("pagerduty-f", "pagerduty"),
                    ("splunk g", "splunk"), ("crowdstrike-h", "crowdstrike"),
                    ("http-i", "http"), ("Mail J", "email")]
# name, platform, allow_cluster_management (None: not written),
# install_commands_out
RUNNER_POOL = [("runner-1", "kubernetes", False, True),
               ("runner-2", "docker", None, True),
               ("k8s-3", "kubernetes", True, False),
               ("dock 4", "docker", None, False),
               ("runner-5", "kubernetes", None, True),
               ("runner-6", "docker", None, False),
               ("r7", "kubernetes", False, True)]
# The field case's runners (field_runner_kills), added when the edits
# are over: Kubernetes, so that the install command names the runner.
FIELD_RUNNERS = [("field-kill", "kubernetes", None, True),
                 ("field-term-twice", "kubernetes", None, True),
                 ("field-term", "kubernetes", None, True)]
FILE_WF_POOL = ["wf-alpha", "Wf Beta", "wf-gamma", "wf delta", "wf-epsilon",
                "wf-zeta", "wf-eta"]
SOURCE_WF_POOL = ["Enrich IOC", "Phishing triage", "Case escalation",
                  "Offboarding", "Daily report"]
SOURCE_NESTED = {"Phishing triage": ["Enrich IOC"],
                 "Case escalation": ["Enrich IOC"]}
TAG_POOL = ["t1", "tier-1", "phishing", "hr", "prod", "ops", "with space",
            "\u00fcml\u00e4ut"]
TRIGGERS = ["on_demand", "webhook", "schedule", "nested", "case",
            "system_event"]
LIMITS = {"users": 12, "mappings": 8, "integrations": 6, "runners": 5,
          "file_wf": 6, "source_wf": 3}

# Every secret value starts with PREFIX, which nothing else ever contains,
# and holds a TAIL_LEN run of letters g-z (no hex digit), so one pass over
# a file finds any of them however many were used.
PREFIX = "qzS3CR3Tzq"
TAIL_ALPHA = "ghijklmnopqrstuvwxyz"
TAIL_LEN = 16
TAIL_RE = re.compile(rb"[g-z]{%d,}" % TAIL_LEN)
SPECIAL = ["", "", "", " \"q\" \\ \u00e9\u20ac", "\tx", "-:#{}[]"]

ROUTES = ["POST /v1/auth/token", "GET /v1alpha/workspaces",
          "GET /v1alpha/users", "POST /v1alpha/users/invite",
          "PATCH /v1alpha/users/{id}", "DELETE /v1alpha/users/{id}",
          "GET /v1alpha/roles", "GET /v1alpha/sso/claim_mappings",
          "POST /v1alpha/sso/claim_mappings",
          "PATCH /v1alpha/sso/claim_mappings/{id}",
          "DELETE /v1alpha/sso/claim_mappings/{id}",
          "GET /v1alpha/integrations", "POST /v1alpha/integrations",
          "PATCH /v1alpha/integrations/{id}",
          "DELETE /v1alpha/integrations/{id}",
          "GET /v1alpha/step_runners", "POST /v1alpha/step_runners",
          "DELETE /v1alpha/step_runners/{id}",
          "GET /v1alpha/workflows", "GET /v1alpha/workflows/{id}",
          "GET /v1alpha/workflows/{id}/revisions/{rev}",
          "POST /v1alpha/workflows/import", "PUT /v1alpha/workflows/{id}",
          "PATCH /v1alpha/workflows/{id}/revisions/{rev}/publish",
          "POST /v1alpha/workflows/{id}/tags",
          "DELETE /v1alpha/workflows/{id}/tags/{name}",
          "DELETE /v1alpha/workflows/{id}"]

# Why a step may fail under the faults injected: statuses (and a token
# expired three times over), dropped connections, an outcome unknown, an
# install command lost with its answer (docs: delete the runner and apply
# again; the next run finds it and carries on). Anything else is a bug.
EXPLAINED = re.compile(
    r"HTTP (429|500|502|503|504|302|401)\b|may or may not|outcome unknown|"
    r"Empty reply|Server returned nothing|Recv failure|Connection reset|"
    r"Failure when receiving|timed out|Timeout was reached|"
    r"install command never arrived|could not be made|"
    r"install command never delivered")
# A runner whose install command reached no file, as apply reports it
# (then `apply --replace step_runner:NAME` mends it: mend_lost).
LOST = re.compile(r"step runner '([^']+)'(?:: install command never "
                  r"delivered| exists, but its install command never "
                  r"arrived)")
BENIGN = re.compile(r"^some steps did not run; the journal is ")

MAX_FAILS = 6           # consecutive failed runs before a fault-free one
KILL_ONE_IN = 8
RECOVERY_ATTEMPTS = 3   # after a SIGKILL, as robust.py
HANG_S = 120            # one apply; a legit run under faults takes < 60 s
CHECK_TIMEOUT_S = 60    # one plan, without faults
DEADLINE_GRACE_S = 30   # a run going this long past --seconds is killed
PROGRESS_EVERY = 25


class Violation(Exception):
    pass


def http(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=20) as r:
        text = r.read()
    return json.loads(text) if text else None


# duplicates(state): no two objects with one identity, anywhere (shared
# with the crash test)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "apply"))
from robust import duplicates  # noqa: E402


# --- YAML text ------------------------------------------------------------

PLAIN_OK = re.compile(r"[A-Za-z][A-Za-z0-9@._+ -]*[A-Za-z0-9]\Z")
RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def q(s, rnd=None):
    """A YAML scalar for s: plain when unambiguous (sometimes), else a
    double-quoted one (JSON's escapes are YAML's)."""
    if rnd is not None and PLAIN_OK.match(s) and s.lower() not in RESERVED \
       and rnd.random() < 0.5:
        return s
    return json.dumps(s, ensure_ascii=False)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def strip_comments(text):
    """The workflow YAML without full-line comments and blank lines: what
    a comment-only edit leaves alone."""
    return "\n".join(l.rstrip() for l in text.splitlines()
                     if l.strip() and not l.lstrip().startswith("#"))


# --- the desired state, as the script tracks it -----------------------------

class Model:
    def __init__(self, seed):
        self.ws_name = "Soak %d" % seed
        self.ws_mode = "out"        # out: create + credentials_out; creds
        self.copy_sso = True
        self.copy_from_source = False
        self.mappings = []          # [claim, value, role]
        self.users = []             # [email as written, role]
        self.integrations = []      # {name, vendor, params: [[key, spec]]}
        self.runners = []           # names from RUNNER_POOL
        self.workflows = []         # {name, source, publish, tags}
        self.content = {}           # file workflow -> {trigger, steps, calls,
                                    #                    comment}
        self.prune_via = "policy"
        self.use_vars = False

    def user_keys(self):
        return {u[0].lower() for u in self.users}


def new_content(rnd, name):
    steps = [["http", "https://soak.example/%s/%d" % (slug(name),
                                                      rnd.randrange(10**6))]
             for _ in range(rnd.randint(1, 3))]
    return {"trigger": rnd.choice(TRIGGERS), "steps": steps, "calls": [],
            "comment": rnd.choice(["", "exported from Torq",
                                   "rev %d" % rnd.randrange(1000)])}


def new_params(rnd, name):
    params = []
    keys = ["url", "channel", "api_token", "user", "region", "timeout",
            "verify", "extra", "password", "webhook_url"]
    rnd.shuffle(keys)
    for n, key in enumerate(keys[:rnd.choice([0, 1, 2, 2, 3, 4])]):
        # most integrations hold a secret
        params.append([key, new_spec(rnd, name, key, secret=n == 0 and
                                     rnd.random() < 0.7)])
    return params


def new_spec(rnd, name, key, secret=False):
    r = rnd.random() * (0.5 if secret else 1.0)
    var = "SOAK_SECRET_%s_%s" % (slug(name).replace("-", "_").upper(),
                                 key.upper())
    if r < 0.3:
        return ["env", var]
    if r < 0.4:
        return ["file", "%s_%s.txt" % (slug(name), key), rnd.random() < 0.5]
    if r < 0.5:
        return ["embed", var, "https://u:", "@h.soak.example/"]
    lit = rnd.choice([
        "https://%s.soak.example/%d" % (slug(name), rnd.randrange(1000)),
        "#chan-%d" % rnd.randrange(100), rnd.randrange(1, 10000),
        rnd.random() < 0.5, {"a": rnd.randrange(10), "b": ["x", "y"]},
        "value with spaces %d" % rnd.randrange(100),
        "\u00fcnic\u00f8de %d" % rnd.randrange(100)])
    return ["lit", lit]


def fix_model(m):
    """Constraints a real manifest would meet: a published workflow calls
    only workflows the manifest publishes (else Torq refuses to publish it,
    and no apply could ever converge), and calls go to workflows earlier in
    the pool (no cycle)."""
    names = {w["name"]: w for w in m.workflows}
    for w in m.workflows:
        if w["source"]:
            deps = SOURCE_NESTED.get(w["name"], [])
            if w["publish"] and not all(
                    d in names and names[d]["publish"] for d in deps):
                w["publish"] = False
            continue
        c = m.content[w["name"]]
        c["calls"] = [n for n in c["calls"] if n in names and
                      not names[n]["source"] and
                      (not w["publish"] or names[n]["publish"])]


# --- edits ------------------------------------------------------------------

def edit(m, rnd, op=None):
    """One random edit (op, else a weighted choice); returns a short
    description, "none" when the pick did not apply."""
    ops = [
        ("user+", 8), ("user-", 6), ("user role", 6), ("user case", 2),
        ("users order", 1),
        ("mapping+", 5), ("mapping-", 4), ("mapping role", 4),
        ("mapping move", 5), ("mappings shuffle", 1), ("copy_from_source", 1),
        ("integration+", 6), ("integration-", 3), ("param", 5),
        ("param+", 2), ("param-", 2),
        ("runner+", 3), ("runner-", 3),
        ("workflow+", 4), ("workflow-", 3), ("content", 5), ("comment", 2),
        ("calls", 3), ("publish", 4), ("tags", 5), ("workflows order", 1),
        ("workspace", 1), ("prune via", 1), ("vars", 1), ("nothing", 1)]
    if op is None:
        op = rnd.choices([o for o, _ in ops], [w for _, w in ops])[0]
    if op == "user+":
        free = [e for e in USER_POOL if e not in m.user_keys()]
        if not free or len(m.users) >= LIMITS["users"]:
            return "none"
        e = rnd.choice(free)
        role = "Owner" if e == CREATOR or rnd.random() < 0.05 else \
            rnd.choice(ROLES[1:])
        m.users.insert(rnd.randint(0, len(m.users)), [recase(rnd, e), role])
        return "user+ %s %s" % (e, role)
    if op == "user-" and m.users:
        u = m.users.pop(rnd.randrange(len(m.users)))
        return "user- %s" % u[0]
    if op == "user role" and m.users:
        u = rnd.choice(m.users)
        if u[0].lower() == CREATOR:
            return "none"
        u[1] = "Owner" if rnd.random() < 0.05 else rnd.choice(ROLES[1:])
        return "user %s -> %s" % (u[0], u[1])
    if op == "user case" and m.users:
        u = rnd.choice(m.users)
        u[0] = recase(rnd, u[0])
        return "user case %s" % u[0]
    if op == "users order":
        rnd.shuffle(m.users)
        return "users shuffled"
    if op == "mapping+":
        have = {(a, b) for a, b, _ in m.mappings}
        free = [p for p in MAPPING_POOL if p not in have]
        if not free or len(m.mappings) >= LIMITS["mappings"]:
            return "none"
        c, v = rnd.choice(free)
        m.mappings.insert(rnd.randint(0, len(m.mappings)),
                          [c, v, rnd.choice(ROLES)])
        return "mapping+ %s=%s" % (c, v)
    if op == "mapping-" and m.mappings:
        x = m.mappings.pop(rnd.randrange(len(m.mappings)))
        return "mapping- %s=%s" % (x[0], x[1])
    if op == "mapping role" and m.mappings:
        x = rnd.choice(m.mappings)
        x[2] = rnd.choice(ROLES)
        return "mapping %s=%s -> %s" % (x[0], x[1], x[2])
    if op == "mapping move" and len(m.mappings) > 1:
        x = m.mappings.pop(rnd.randrange(len(m.mappings)))
        m.mappings.insert(rnd.randint(0, len(m.mappings)), x)
        return "mapping move %s=%s" % (x[0], x[1])
    if op == "mappings shuffle":
        if rnd.random() < 0.5:
            m.mappings.reverse()
        else:
            rnd.shuffle(m.mappings)
        return "mappings reordered"
    if op == "copy_from_source":
        m.copy_from_source = not m.copy_from_source
        return "copy_from_source %s" % m.copy_from_source
    if op == "integration+":
        have = {i["name"] for i in m.integrations}
        free = [p for p in INTEGRATION_POOL if p[0] not in have]
        if not free or len(m.integrations) >= LIMITS["integrations"]:
            return "none"
        name, vendor = rnd.choice(free)
        m.integrations.insert(rnd.randint(0, len(m.integrations)),
                              {"name": name, "vendor": vendor,
                               "params": new_params(rnd, name)})
        return "integration+ %s" % name
    if op == "integration-" and m.integrations:
        i = m.integrations.pop(rnd.randrange(len(m.integrations)))
        return "integration- %s" % i["name"]
    if op == "param" and m.integrations:
        i = rnd.choice(m.integrations)
        if not i["params"]:
            return "none"
        p = rnd.choice(i["params"])
        p[1] = new_spec(rnd, i["name"], p[0])
        return "param %s.%s -> %s" % (i["name"], p[0], p[1][0])
    if op == "param+" and m.integrations:
        i = rnd.choice(m.integrations)
        have = {p[0] for p in i["params"]}
        key = rnd.choice(["url", "channel", "api_token", "user", "region",
                          "timeout", "verify", "extra", "password"])
        if key in have:
            return "none"
        i["params"].insert(rnd.randint(0, len(i["params"])),
                           [key, new_spec(rnd, i["name"], key)])
        return "param+ %s.%s" % (i["name"], key)
    if op == "param-" and m.integrations:
        i = rnd.choice(m.integrations)
        if not i["params"]:
            return "none"
        p = i["params"].pop(rnd.randrange(len(i["params"])))
        return "param- %s.%s" % (i["name"], p[0])
    if op == "runner+":
        free = [r[0] for r in RUNNER_POOL if r[0] not in m.runners]
        if not free or len(m.runners) >= LIMITS["runners"]:
            return "none"
        r = rnd.choice(free)
        m.runners.insert(rnd.randint(0, len(m.runners)), r)
        return "runner+ %s" % r
    if op == "runner-" and m.runners:
        return "runner- %s" % m.runners.pop(rnd.randrange(len(m.runners)))
    if op == "workflow+":
        have = {w["name"] for w in m.workflows}
        nsrc = sum(1 for w in m.workflows if w["source"])
        if rnd.random() < 0.3 and nsrc < LIMITS["source_wf"]:
            free = [n for n in SOURCE_WF_POOL if n not in have]
            source = True
        else:
            free = [n for n in FILE_WF_POOL if n not in have]
            source = False
            if len(m.workflows) - nsrc >= LIMITS["file_wf"]:
                free = []
        if not free:
            return "none"
        name = rnd.choice(free)
        m.workflows.insert(rnd.randint(0, len(m.workflows)), {
            "name": name, "source": source, "publish": rnd.random() < 0.6,
            "tags": rnd.sample(TAG_POOL, rnd.randint(0, 3))})
        if not source:
            m.content[name] = new_content(rnd, name)
            idx = FILE_WF_POOL.index(name)
            m.content[name]["calls"] = [
                n for n in FILE_WF_POOL[:idx] if n in have and
                rnd.random() < 0.4]
        return "workflow+ %s" % name
    if op == "workflow-" and m.workflows:
        w = m.workflows.pop(rnd.randrange(len(m.workflows)))
        return "workflow- %s" % w["name"]
    files = [w for w in m.workflows if not w["source"]]
    if op == "content" and files:
        w = rnd.choice(files)
        c = m.content[w["name"]]
        r = rnd.random()
        if r < 0.3:
            c["trigger"] = rnd.choice(TRIGGERS)
        elif r < 0.6 or len(c["steps"]) > 3:
            s = rnd.choice(c["steps"])
            s[1] = "https://soak.example/%s/%d" % (slug(w["name"]),
                                                   rnd.randrange(10**6))
        elif r < 0.8 or len(c["steps"]) < 2:
            c["steps"].append(["http", "https://soak.example/n/%d" %
                               rnd.randrange(10**6)])
        else:
            c["steps"].pop(rnd.randrange(len(c["steps"])))
        return "content %s" % w["name"]
    if op == "comment" and files:
        w = rnd.choice(files)
        m.content[w["name"]]["comment"] = "note %d" % rnd.randrange(10**6)
        return "comment %s" % w["name"]
    if op == "calls" and files:
        w = rnd.choice(files)
        idx = FILE_WF_POOL.index(w["name"])
        have = {x["name"] for x in files}
        m.content[w["name"]]["calls"] = [
            n for n in FILE_WF_POOL[:idx] if n in have and rnd.random() < 0.5]
        return "calls %s -> %s" % (w["name"], m.content[w["name"]]["calls"])
    if op == "publish" and m.workflows:
        w = rnd.choice(m.workflows)
        w["publish"] = not w["publish"]
        return "publish %s %s" % (w["name"], w["publish"])
    if op == "tags" and m.workflows:
        w = rnd.choice(m.workflows)
        r = rnd.random()
        if r < 0.35:
            free = [t for t in TAG_POOL if t not in w["tags"]]
            if free:
                w["tags"].insert(rnd.randint(0, len(w["tags"])),
                                 rnd.choice(free))
        elif r < 0.7 and w["tags"]:
            w["tags"].pop(rnd.randrange(len(w["tags"])))
        elif r < 0.85:
            rnd.shuffle(w["tags"])
        else:
            w["tags"] = rnd.sample(TAG_POOL, rnd.randint(0, 4))
        return "tags %s %s" % (w["name"], w["tags"])
    if op == "workflows order":
        rnd.shuffle(m.workflows)
        return "workflows shuffled"
    if op == "workspace":
        # (without the key file yet, render() writes "out" instead)
        m.ws_mode = rnd.choice(["out", "creds", "both"])
        m.copy_sso = rnd.random() < 0.5
        return "workspace %s" % m.ws_mode
    if op == "prune via":
        m.prune_via = rnd.choice(["policy", "policy", "flag", "flag-false"])
        return "prune via %s" % m.prune_via
    if op == "vars":
        m.use_vars = not m.use_vars
        return "vars %s" % m.use_vars
    return "none"


def recase(rnd, email):
    r = rnd.random()
    if r < 0.6:
        return email.lower()
    if r < 0.8:
        return email[0].upper() + email[1:].lower()
    return "".join(ch.upper() if rnd.random() < 0.5 else ch.lower()
                   for ch in email)


def initial_model(seed, rnd):
    m = Model(seed)
    m.copy_from_source = rnd.random() < 0.5
    for _ in range(rnd.randint(12, 30)):
        edit(m, rnd, rnd.choice(["user+", "mapping+", "integration+",
                                 "runner+", "workflow+"]))
    fix_model(m)
    return m


# --- rendering the manifest and its files ----------------------------------

def render_spec(spec, secret_dir):
    kind = spec[0]
    if kind == "lit":           # JSON is YAML (flow style)
        return json.dumps(spec[1], ensure_ascii=False)
    if kind == "env":
        return '"${secret:env:%s}"' % spec[1]
    if kind == "file":
        return '"${secret:file:%s}"' % os.path.join(secret_dir, spec[1])
    return json.dumps("%s${secret:env:%s}%s" % (spec[2], spec[1], spec[3]))


def render(m, rnd, secret_dir, key_exists):
    """The manifest's text. Formatting varies (flow or block style, plain or
    quoted scalars, ${domain}); the meaning is the model's."""
    out = ["# written by tests/soak/soak.py", "version: 1"]
    domain = "soak.example"
    if m.use_vars:
        out += ["vars:", "  domain: %s" % domain]
    mode = m.ws_mode if key_exists else "out"
    out += ["workspace:", "  name: %s" % q(m.ws_name, rnd)]
    if mode in ("out", "both"):
        out += ["  create: true", "  credentials_out: secrets/ws.json"]
        if m.copy_sso:
            out.append("  copy_sso: true")
    if mode in ("creds", "both"):
        out.append("  credentials: secrets/ws.json")
    out += ["source:", "  credentials: secrets/org.json"]

    out += ["claim_mappings:",
            "  copy_from_source: %s" % str(m.copy_from_source).lower()]
    if m.mappings:
        out.append("  items:")
        for c, v, role in m.mappings:
            if rnd.random() < 0.5:
                out.append("    - { claim: %s, value: %s, role: %s }" %
                           (q(c, rnd), q(v, rnd), q(role, rnd)))
            else:
                out += ["    - claim: %s" % q(c, rnd),
                        "      value: %s" % q(v, rnd),
                        "      role: %s" % q(role, rnd)]
    else:
        out.append("  items: []")

    if m.users:
        out.append("users:")
        for email, role in m.users:
            e = email
            if m.use_vars and email.lower().endswith("@" + domain) and \
               rnd.random() < 0.7:
                e = email[:-len(domain)] + "${domain}"
                e = json.dumps(e)
            else:
                e = q(e, rnd)
            if rnd.random() < 0.6:
                out.append("  - { email: %s, role: %s }" % (e, q(role, rnd)))
            else:
                out += ["  - email: %s" % e, "    role: %s" % q(role, rnd)]
    else:
        out.append("users: []")

    if m.integrations:
        out.append("integrations:")
        for i in m.integrations:
            out += ["  - name: %s" % q(i["name"], rnd),
                    "    vendor: %s" % i["vendor"]]
            if not i["params"]:
                out.append("    parameters: {}")
                continue
            out.append("    parameters:")
            for key, spec in i["params"]:
                out.append("      %s: %s" % (key, render_spec(spec,
                                                              secret_dir)))
    else:
        out.append("integrations: []")

    if m.runners:
        out.append("step_runners:")
        for name in m.runners:
            _, platform, acm, outfile = [r for r in RUNNER_POOL
                                         if r[0] == name][0]
            out += ["  - name: %s" % q(name, rnd),
                    "    platform: %s" % platform]
            if acm is not None:
                out.append("    allow_cluster_management: %s" %
                           str(acm).lower())
            if outfile:
                out.append("    install_commands_out: runners/%s.sh" %
                           slug(name))
    else:
        out.append("step_runners: []")

    if m.workflows:
        out.append("workflows:")
        for w in m.workflows:
            fields = ["name: %s" % q(w["name"], rnd)]
            if w["source"]:
                fields.append("from: source")
            else:
                fields.append("file: workflows/%s.yaml" % slug(w["name"]))
            fields.append("publish: %s" % str(w["publish"]).lower())
            fields.append("tags: [%s]" % ", ".join(q(t, rnd)
                                                    for t in w["tags"]))
            if rnd.random() < 0.5:
                out.append("  - { %s }" % ", ".join(fields))
            else:
                out.append("  - " + fields[0])
                out += ["    " + f for f in fields[1:]]
    else:
        out.append("workflows: []")

    # the soak deletes freely (the safety brake has its own tests):
    # policy.max_destroy high enough lets any of its plans through
    if m.prune_via == "policy":
        out += ["policy:", "  prune: true", "  max_destroy: 100000"]
    elif m.prune_via == "flag-false":
        out += ["policy:", "  prune: false", "  max_destroy: 100000"]
    else:
        out += ["policy:", "  max_destroy: 100000"]
    return "\n".join(out) + "\n"


def render_workflow(name, c):
    out = []
    if c["comment"]:
        out.append("# " + c["comment"])
    out += ["name: %s" % json.dumps(name, ensure_ascii=False), "trigger:",
            "  type: %s" % c["trigger"]]
    if c["trigger"] == "schedule":
        out.append('  cron: "0 7 * * *"')
    out.append("steps:")
    for n, callee in enumerate(c["calls"]):
        out += ["  - id: call_%d" % n, "    type: nested",
                "    workflow: %s" % json.dumps(callee, ensure_ascii=False)]
    for n, (kind, url) in enumerate(c["steps"]):
        out += ["  - id: step_%d" % n, "    type: %s" % kind,
                "    url: %s" % json.dumps(url)]
    if c["comment"]:
        out.append("# end: " + c["comment"])
    return "\n".join(out) + "\n"


def resolve(spec, secrets, file_secrets):
    kind = spec[0]
    if kind == "lit":
        return spec[1]
    if kind == "env":
        return secrets[spec[1]]
    if kind == "file":
        return file_secrets[spec[1]]
    return spec[2] + secrets[spec[1]] + spec[3]


# --- fault choice -----------------------------------------------------------

EDIT_ROUTES = {
    "user+": ["POST /v1alpha/users/invite"],
    "user-": ["DELETE /v1alpha/users/{id}"],
    "user": ["PATCH /v1alpha/users/{id}"],
    "mapping+": ["POST /v1alpha/sso/claim_mappings",
                 "PATCH /v1alpha/sso/claim_mappings/{id}"],
    "mapping-": ["DELETE /v1alpha/sso/claim_mappings/{id}"],
    "mapping": ["PATCH /v1alpha/sso/claim_mappings/{id}"],
    "mappings": ["PATCH /v1alpha/sso/claim_mappings/{id}"],
    "integration+": ["POST /v1alpha/integrations"],
    "integration-": ["DELETE /v1alpha/integrations/{id}"],
    "param": ["PATCH /v1alpha/integrations/{id}"],
    "param+": ["PATCH /v1alpha/integrations/{id}"],
    "param-": ["PATCH /v1alpha/integrations/{id}"],
    "runner+": ["POST /v1alpha/step_runners"],
    "runner-": ["DELETE /v1alpha/step_runners/{id}"],
    "workflow+": ["POST /v1alpha/workflows/import",
                  "PATCH /v1alpha/workflows/{id}/revisions/{rev}/publish",
                  "POST /v1alpha/workflows/{id}/tags"],
    "workflow-": ["DELETE /v1alpha/workflows/{id}"],
    "content": ["PUT /v1alpha/workflows/{id}",
                "PATCH /v1alpha/workflows/{id}/revisions/{rev}/publish"],
    "calls": ["PUT /v1alpha/workflows/{id}"],
    "publish": ["PATCH /v1alpha/workflows/{id}/revisions/{rev}/publish"],
    "tags": ["POST /v1alpha/workflows/{id}/tags",
             "DELETE /v1alpha/workflows/{id}/tags/{name}"],
}


def likely_routes(edits, model):
    """The changes this run's edits (and its new secrets) probably need."""
    routes = set()
    for e in edits:
        routes.update(EDIT_ROUTES.get(e.split(" ")[0], []))
    if any(spec[0] != "lit" for i in model.integrations
           for _, spec in i["params"]):
        routes.add("PATCH /v1alpha/integrations/{id}")
    return sorted(routes)


def pick_faults(rnd, allow_drop_after, likely=()):
    if rnd.random() < 0.25:
        return []
    rules = []
    kinds = [("status", 34), ("drop", 8), ("drop_after", 10),
             ("latency", 16), ("expire_token", 12), ("chaos", 20)]
    for _ in range(rnd.choice([1, 1, 2, 2, 3])):
        kind = rnd.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if kind == "drop_after" and not allow_drop_after:
            kind = "drop"
        rule = {"kind": kind}
        targeted = rnd.random() < 0.3
        rule["route"] = rnd.choice(ROUTES) if targeted else "*"
        r = rnd.random()
        if r < 0.75:
            # mostly light, so that a run stays short; now and then heavy
            # enough that runs fail and the next ones must pick up
            if targeted:
                rule["rate"] = rnd.choice([0.2, 0.4, 0.6, 1.0])
                rule["count"] = rnd.randint(1, 4)
            elif rnd.random() < 0.07:
                rule["rate"] = 0.3
            else:
                rule["rate"] = rnd.choice([0.02, 0.03, 0.05, 0.05, 0.08,
                                           0.1])
        elif r < 0.9:
            rule["nth"] = rnd.randint(1, 40 if not targeted else 3)
        else:
            rule["every"] = rnd.randint(2, 12 if not targeted else 3)
            rule["count"] = rnd.randint(1, 6)
        if kind == "status":
            st = rnd.choice([429, 429, 429, 503, 503, 500, 502, 504])
            rule["status"] = st
            if st == 429 and rnd.random() < 0.6:
                rule["retry_after"] = rnd.choice([0, 0, 1, 1, 2])
        if kind == "latency":
            if rnd.random() < 0.7:
                rule["latency_ms"] = rnd.choice([5, 20, 50, 100, 200])
            else:       # a spike, seldom
                rule["latency_ms"] = rnd.choice([800, 1500, 2500])
                rule.pop("rate", None)
                rule.pop("every", None)
                rule.pop("count", None)
                rule["nth"] = rnd.randint(1, 30)
        if kind in ("drop", "drop_after", "chaos") and "rate" in rule and \
           rule["route"] == "*":
            rule["rate"] = min(rule["rate"], 0.15)
        rules.append(rule)
    if rnd.random() < 0.2 and likely:
        # routes this run's edits need keep failing for a while: 500, 502
        # and 504 on a change are not retried (the outcome is unknown), so
        # the run fails fast and the next one must pick up where it stopped
        for route in rnd.sample(likely, min(2, len(likely))):
            rules.append({"kind": "status", "route": route,
                          "status": rnd.choice([500, 502, 504]),
                          "every": 1, "count": rnd.randint(4, 12)})
    return rules


STORM_BLOCK, STORM_RUNS, STORM_ODDS = 10, 8, 0.12


def storm(seed, step):
    """Now and then, STORM_RUNS steps in a row where every change fails."""
    block = step // STORM_BLOCK
    return step % STORM_BLOCK < STORM_RUNS and block > 0 and random.Random(
        "%d:%d:storm" % (seed, block)).random() < STORM_ODDS


RACE_ONE_IN = 10          # field case: two applies racing on one workspace


WRONG_KEY_ONE_IN = 12     # field case: a wrong key file


def wrong_key_now(seed, step):
    """Whether this step is an apply with another workspace's key."""
    return step > 1 and random.Random("%d:%d:wrongkey" % (seed, step)) \
        .randrange(WRONG_KEY_ONE_IN) == 0


def race_now(seed, step):
    """Whether this step is two applies at once (never the first)."""
    return step > 1 and random.Random("%d:%d:race" % (seed, step)) \
        .randrange(RACE_ONE_IN) == 0


def fault_label(rule):
    kind = rule["kind"]
    if kind == "status":
        st = rule.get("status", 503)
        ra = rule.get("retry_after", -1)
        return "%d%s" % (st, "" if ra is None or ra < 0 else
                         " (Retry-After %d)" % ra)
    return kind


# --- the soak ---------------------------------------------------------------

class Soak:
    def __init__(self, tool, sim, seed, seconds, runs, keep, verbose,
                 sim_args=()):
        self.tool, self.sim_bin = tool, sim
        self.seed, self.seconds, self.max_runs = seed, seconds, runs
        self.keep, self.verbose = keep, verbose
        self.sim_args = list(sim_args)
        self.proc = self.sim_log = None
        self.counts = {"runs": 0}
        self.history, self.last = [], {}
        self.reasons = {}

    def setup(self):
        self.work = tempfile.mkdtemp(prefix="torq-soak-")
        self.secret_dir = tempfile.mkdtemp(prefix="torq-soak-secrets-")
        self.log_dir = tempfile.mkdtemp(prefix="torq-soak-log-")
        os.mkdir(os.path.join(self.work, "secrets"), 0o700)
        os.mkdir(os.path.join(self.work, "workflows"))
        key = os.path.join(self.work, "secrets", "org.json")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b'{"client_id": "sim-admin", '
                 b'"client_secret": "sim-admin-secret"}\n')
        os.close(fd)
        self.ws_key = os.path.join(self.work, "secrets", "ws.json")
        self.manifest = os.path.join(self.work, "soak.yaml")
        self.sim_log = open(os.path.join(self.log_dir, "torq-sim.log"), "w")
        self.proc = subprocess.Popen([self.sim_bin, "--port", "0"] +
                                     self.sim_args,
                                     stdout=self.sim_log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.base = None
        for _ in range(500):
            with open(self.sim_log.name) as f:
                mt = re.search(r"http://127\.0\.0\.1:[0-9]+", f.read())
            if mt:
                self.base = mt.group(0)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        if not self.base:
            raise Violation("torq-sim did not start")
        self.env = dict(os.environ, TORQ_ENDPOINT=self.base, NO_COLOR="1")
        for k in list(self.env):
            if k.startswith(("TORQ_CLIENT_", "SOAK_SECRET_")):
                del self.env[k]
        state = http(self.base, "GET", "/_sim/state")
        self.template = self.find_ws(state, "Template")
        self.template_json = json.dumps(self.template, sort_keys=True)
        roles = {r["id"]: r["name"] for r in self.template["roles"]}
        self.source_mappings = [(x["claim_name"], x["claim_value"],
                                 roles[x["role_id"]])
                                for x in self.template["claim_mappings"]]
        self.source_yaml = {}
        for w in self.template["workflows"]:
            rev = [r for r in w["revisions"]
                   if r["id"] == w["current_revision_id"]][0]
            self.source_yaml[w["name"]] = rev["yaml"]

        self.tails = set()          # every secret tail ever used
        self.secrets = {}           # env name -> value, this run
        self.file_secrets = {}      # file name -> value, this run
        self.maybe_published = set()
        self.owner_ever = {CREATOR}
        self.counts = {"runs": 0, "killed": 0, "kill_missed": 0,
                       "failed": 0, "forced": 0, "recovery": 0,
                       "recovery_retries": 0, "checked": 0,
                       "dup_checks": 0, "storm": 0, "verbose_runs": 0,
                       "lost": 0, "duplicated": 0, "deadline_kills": 0,
                       "lost_reported": 0, "lost_replaced": 0,
                       "field_runner_kills": 0}
        self.fired = {}
        self.spent = {}
        self.history = []
        self.last = {}
        self.start = time.monotonic()
        self.deadline = self.start + self.seconds

    # helpers
    @staticmethod
    def find_ws(state, name):
        found = [w for w in state["workspaces"]
                 if w["name"].lower() == name.lower()]
        return found[0] if len(found) == 1 else None

    def elapsed(self):
        return time.monotonic() - self.start

    def fail(self, msg):
        raise Violation(msg)

    def new_secret(self, rnd):
        while True:
            tail = "".join(rnd.choice(TAIL_ALPHA) for _ in range(TAIL_LEN))
            if tail not in self.tails:
                break
        self.tails.add(tail)
        return PREFIX + tail + rnd.choice(SPECIAL)

    def write_files(self, m, rnd, key_exists):
        """The manifest, its workflow files and this run's secrets."""
        self.secrets, self.file_secrets = {}, {}
        for i in m.integrations:
            for _, spec in i["params"]:
                if spec[0] in ("env", "embed"):
                    self.secrets[spec[1]] = self.new_secret(rnd)
                elif spec[0] == "file":
                    v = self.new_secret(rnd).replace("\n", " ")
                    self.file_secrets[spec[1]] = v
                    path = os.path.join(self.secret_dir, spec[1])
                    with open(path + ".tmp", "w", encoding="utf-8") as f:
                        f.write(v + ("\n" if spec[2] else ""))
                    os.chmod(path + ".tmp", 0o600)
                    os.replace(path + ".tmp", path)
        for w in m.workflows:
            if w["source"]:
                continue
            path = os.path.join(self.work, "workflows",
                                slug(w["name"]) + ".yaml")
            text = render_workflow(w["name"], m.content[w["name"]])
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
        text = render(m, rnd, self.secret_dir, key_exists)
        with open(self.manifest + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(self.manifest + ".tmp", self.manifest)
        self.manifest_text = text

    def run_env(self):
        env = dict(self.env)
        env.update(self.secrets)
        return env

    def requests_total(self):
        return http(self.base, "GET", "/_sim/stats")["requests_total"]

    def torq(self, args, timeout, kill_at=None):
        """(rc, out, err, killed, timed_out); with kill_at, SIGKILL once
        torq-sim has answered that many of its requests (and the new
        workspace's key file exists)."""
        cmd = [self.tool] + args + ["--credentials", "secrets/org.json"]
        # the soak deletes and demotes freely (the safety brake, Owners
        # included, has its own tests)
        if args and args[0] in ("plan", "apply", "fleet"):
            cmd.append("--allow-destroy")
        base = self.requests_total() if kill_at is not None else 0
        p = subprocess.Popen(cmd, cwd=self.work, env=self.run_env(),
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        out = err = b""
        killed = timed_out = False
        try:
            while kill_at is not None:
                try:
                    out, err = p.communicate(timeout=0.003)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.monotonic() - t0 > timeout:
                    raise subprocess.TimeoutExpired(cmd, timeout)
                # The new workspace's key exists only in the create answer:
                # never kill before it is saved (robust.py says why).
                if os.path.exists(self.ws_key) and \
                   self.requests_total() - base >= kill_at:
                    p.send_signal(signal.SIGKILL)
                    killed = True
                    break
            if not killed and p.returncode is None:
                out, err = p.communicate(timeout=timeout)
            elif killed:
                out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            out, err = p.communicate()
            timed_out = True
        self.last_time = time.monotonic() - t0
        self.spent[args[0]] = self.spent.get(args[0], 0.0) + self.last_time
        return (p.returncode, out.decode("utf-8", "replace"),
                err.decode("utf-8", "replace"), killed, timed_out)

    def set_faults(self, rules, fseed):
        if rules:
            http(self.base, "POST", "/_sim/faults",
                 {"rules": rules, "seed": fseed})
        else:
            http(self.base, "DELETE", "/_sim/faults")

    def clear_faults(self):
        """Clears the rules, counting what fired."""
        for r in http(self.base, "GET", "/_sim/faults").get("rules", []):
            if r.get("fired"):
                lab = fault_label(r)
                self.fired[lab] = self.fired.get(lab, 0) + r["fired"]
        http(self.base, "DELETE", "/_sim/faults")

    def fired_now(self):
        """What the rules in force fired in this run: kind -> count."""
        got = {}
        for r in http(self.base, "GET", "/_sim/faults").get("rules", []):
            if r.get("fired"):
                got[r["kind"]] = got.get(r["kind"], 0) + r["fired"]
        return got

    def sim_alive(self):
        if self.proc.poll() is not None:
            self.fail("torq-sim exited (status %s); its log: %s" %
                      (self.proc.returncode, self.sim_log.name))

    # checks
    def scan_secrets(self, label, texts):
        """No secret value of any run, in any output or any file."""
        def look(where, data):
            if PREFIX.encode() in data:
                self.fail("%s: a secret value in %s" % (label, where))
            for mt in TAIL_RE.finditer(data):
                run = mt.group(0).decode()
                for k in range(len(run) - TAIL_LEN + 1):
                    if run[k:k + TAIL_LEN] in self.tails:
                        self.fail("%s: a secret value (...%s) in %s" %
                                  (label, run[k:k + TAIL_LEN], where))
        for where, text in texts:
            look(where, text.encode("utf-8", "replace"))
        for top, _, names in os.walk(self.work):
            for n in names:
                path = os.path.join(top, n)
                with open(path, "rb") as f:
                    look(os.path.relpath(path, self.work), f.read())

    def check_modes(self, label):
        paths = [os.path.join(self.work, ".torq-apply", "state.json"),
                 self.ws_key]
        rdir = os.path.join(self.work, "runners")
        if os.path.isdir(rdir):
            paths += [os.path.join(rdir, n) for n in os.listdir(rdir)]
        for p in paths:
            if os.path.exists(p):
                mode = stat.S_IMODE(os.stat(p).st_mode)
                if mode & 0o077:
                    self.fail("%s: %s has mode %04o, not 0600" %
                              (label, os.path.relpath(p, self.work), mode))

    def check_duplicates(self, label):
        state = http(self.base, "GET", "/_sim/state")
        self.counts["dup_checks"] += 1
        dups = duplicates(state)
        if dups:
            self.counts["duplicated"] += len(dups)
            self.fail("%s: duplicates in torq-sim: %s" %
                      (label, "; ".join(dups)))
        if json.dumps(self.find_ws(state, "Template"), sort_keys=True) != \
           self.template_json:
            self.fail("%s: the Template (source) workspace changed" % label)
        ws = self.find_ws(state, self.model.ws_name)
        if ws and not os.path.exists(self.ws_key):
            self.fail("%s: workspace '%s' exists but its key was never "
                      "saved to secrets/ws.json" % (label, self.model.ws_name))
        return state

    def plan_args(self):
        args = ["plan", "soak.yaml", "--detailed-exitcode"]
        if self.model.prune_via.startswith("flag"):
            args.append("--prune")
        return args

    def check_converged(self, label):
        """After a run that exited 0: plan is empty and the state is the
        manifest."""
        self.counts["checked"] += 1
        rc, out, err, _, timed_out = self.torq(self.plan_args(),
                                               CHECK_TIMEOUT_S)
        self.last["plan"] = out + err
        self.scan_secrets(label + " (plan)", [("plan stdout", out),
                                             ("plan stderr", err)])
        if timed_out:
            self.fail("%s: plan hung (over %d s)" % (label, CHECK_TIMEOUT_S))
        if rc != 0:
            self.fail("%s: a plan after a successful apply is not empty "
                      "(exit %s):\n%s%s" % (label, rc, out, err))
        state = self.check_duplicates(label)
        problems = self.compare(state)
        if problems:
            self.fail("%s: torq-sim's state differs from the manifest:\n  %s"
                      % (label, "\n  ".join(problems)))
        self.check_install_files(label, state)

    def compare(self, state):
        m = self.model
        p = []
        names = sorted(w["name"] for w in state["workspaces"])
        if sorted(n.lower() for n in names) != sorted(
                ["template", m.ws_name.lower()]):
            p.append("workspaces: %s" % names)
        ws = self.find_ws(state, m.ws_name)
        if not ws:
            return p + ["workspace '%s' missing" % m.ws_name]
        roles = {r["id"]: r["name"] for r in ws["roles"]}

        # users
        live = {}
        for u in ws.get("users", []):
            live[u["email"].lower()] = roles.get(u["role_id"], u["role_id"])
        want = {e.lower(): r for e, r in m.users}
        for e, r in sorted(want.items()):
            if e not in live:
                p.append("user %s missing" % e)
                self.counts["lost"] += 1
            elif live[e] != r:
                p.append("user %s: role %s, manifest %s" % (e, live[e], r))
        for e, r in sorted(live.items()):
            if e in want:
                continue
            if r != "Owner":
                p.append("user %s (%s) not in the manifest, not pruned" %
                         (e, r))
            elif e not in self.owner_ever:
                p.append("user %s: an Owner the manifest never listed" % e)
        for e in list(self.owner_ever):
            if e not in live and e != CREATOR:
                self.owner_ever.discard(e)

        # claim mappings, in rank order
        got = [(x["claim_name"], x["claim_value"],
                roles.get(x["role_id"], x["role_id"]))
               for x in ws.get("claim_mappings", [])]
        exp = (list(self.source_mappings) if m.copy_from_source else []) + \
            [tuple(x) for x in m.mappings]
        if got != exp:
            p.append("claim mappings (rank order):\n    live     %s\n"
                     "    manifest %s" % (got, exp))
            self.counts["lost"] += len(set(exp) - set(got))

        # integrations: name, type and the parameters as resolved
        got = {i["display_name"]: i for i in ws.get("integrations", [])}
        exp = {i["name"]: i for i in m.integrations}
        for n in sorted(set(got) | set(exp)):
            if n not in got:
                p.append("integration '%s' missing" % n)
                self.counts["lost"] += 1
            elif n not in exp:
                p.append("integration '%s' not in the manifest, not pruned"
                         % n)
            else:
                if got[n]["type_id"] != exp[n]["vendor"]:
                    p.append("integration '%s': type %s, manifest %s" %
                             (n, got[n]["type_id"], exp[n]["vendor"]))
                params = {k: resolve(s, self.secrets, self.file_secrets)
                          for k, s in exp[n]["params"]}
                if got[n].get("parameters", {}) != params:
                    p.append("integration '%s': parameters differ from the "
                             "manifest's (keys live %s, manifest %s)" %
                             (n, sorted(got[n].get("parameters", {})),
                              sorted(params)))

        # step runners
        got = {r["display_name"]: r for r in ws.get("step_runners", [])}
        for n in sorted(set(got) | set(m.runners)):
            if n not in got:
                p.append("step runner '%s' missing" % n)
                self.counts["lost"] += 1
            elif n not in m.runners:
                p.append("step runner '%s' not in the manifest, not pruned"
                         % n)
            else:
                _, platform, acm, _ = [r for r in RUNNER_POOL
                                       if r[0] == n][0]
                live_acm = got[n].get("kubernetes_options", {}).get(
                    "allow_cluster_management", False)
                if got[n]["platform"] != platform or live_acm != bool(acm):
                    p.append("step runner '%s': %s/%s, manifest %s/%s" %
                             (n, got[n]["platform"], live_acm, platform,
                              bool(acm)))

        # workflows: content, tags, published
        got = {w["name"]: w for w in ws.get("workflows", [])}
        exp = {w["name"]: w for w in m.workflows}
        for n in list(self.maybe_published):
            if n not in got:
                self.maybe_published.discard(n)
        for n in sorted(set(got) | set(exp)):
            if n not in got:
                p.append("workflow '%s' missing" % n)
                self.counts["lost"] += 1
                continue
            if n not in exp:
                p.append("workflow '%s' not in the manifest, not pruned" % n)
                continue
            lw, w = got[n], exp[n]
            cur = [r for r in lw.get("revisions", [])
                   if r["id"] == lw.get("current_revision_id")]
            text = cur[0]["yaml"] if cur else None
            want = self.source_yaml[n] if w["source"] else \
                render_workflow(n, m.content[n])
            if text is None or strip_comments(text) != strip_comments(want):
                p.append("workflow '%s': current revision differs from the "
                         "%s:\n--- live\n%s--- manifest\n%s" %
                         (n, "source" if w["source"] else "file", text, want))
            if sorted(lw.get("tags") or []) != sorted(w["tags"]):
                p.append("workflow '%s': tags %s, manifest %s" %
                         (n, sorted(lw.get("tags") or []), sorted(w["tags"])))
            pub = lw.get("published_revision_id")
            if w["publish"] and pub != lw.get("current_revision_id"):
                p.append("workflow '%s': publish: true, but the current "
                         "revision is not the published one" % n)
            if not w["publish"] and pub and n not in self.maybe_published:
                p.append("workflow '%s': published, but no manifest ever "
                         "asked to publish it" % n)

        # no secret anywhere in the state but in integration parameters
        bare = json.loads(json.dumps(state))
        for w in bare["workspaces"]:
            for i in w.get("integrations", []):
                i.pop("parameters", None)
        blob = json.dumps(bare, ensure_ascii=False).encode()
        for mt in TAIL_RE.finditer(blob):
            run = mt.group(0).decode()
            for k in range(len(run) - TAIL_LEN + 1):
                if run[k:k + TAIL_LEN] in self.tails:
                    p.append("a secret value in torq-sim's state outside "
                             "integration parameters")
                    break
        return p

    # one apply
    def apply(self, label, rules, fseed, kill_at=None, verbose=False,
              parallel=None, tolerate=False, extra=()):
        self.sim_alive()
        self.counts["runs"] += 1
        self.set_faults(rules, fseed)
        args = ["apply", "soak.yaml", "--yes"]
        if self.model.prune_via.startswith("flag"):
            args.append("--prune")
        if verbose:
            args.append("-v")
            self.counts["verbose_runs"] += 1
        if parallel:
            args += ["--parallel", str(parallel)]
        args += list(extra)
        remaining = self.deadline - time.monotonic()
        timeout = min(HANG_S, max(15, remaining + DEADLINE_GRACE_S))
        rc, out, err, killed, timed_out = self.torq(args, timeout,
                                                    kill_at)
        self.last.update(label=label, rules=rules, rc=rc, out=out, err=err,
                         args=args, time=self.last_time)
        self.history.append("%s: rc %s%s in %.2f s, faults %s" % (
            label, rc, " (SIGKILL)" if killed else "", self.last_time,
            json.dumps(rules)))
        self.history = self.history[-12:]
        if self.verbose:
            print("    -> exit %s%s in %.2f s" % (
                rc, " (SIGKILL)" if killed else "", self.last_time),
                flush=True)
        fired = self.fired_now() if rules else {}
        if killed or timed_out:
            # what was in flight when it died lands now, as it would in Torq
            lat = sum(r.get("latency_ms", 0) for r in rules
                      if r["kind"] == "latency")
            time.sleep(0.3 + lat / 1000.0)
        self.clear_faults()
        self.scan_secrets(label, [("stdout", out), ("stderr", err)])
        self.check_modes(label)
        if timed_out:
            if timeout >= HANG_S:
                self.fail("%s: apply hung (over %d s)" % (label, HANG_S))
            self.counts["deadline_kills"] += 1
            killed = True
        if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:|"
                     r"Segmentation fault|Assertion .* failed", err):
            self.fail("%s: the client crashed:\n%s" % (label, err[-4000:]))
        if not killed and rc not in (0, 1):
            self.fail("%s: apply exited with %s%s" % (
                label, rc, " (a signal)" if rc < 0 else ""))
        self.check_duplicates(label)
        if killed:
            self.counts["killed"] += 1
            return "killed"
        if kill_at is not None:
            self.counts["kill_missed"] += 1
        if rc == 0:
            return "ok"
        unexplained = self.note_failures(label, out + err)
        if tolerate:
            return "failed"
        harmless = {"latency"}
        if not rules or set(fired) <= harmless:
            self.fail("%s: apply failed although no fault that can fail a "
                      "request fired (fired: %s):\n%s%s" %
                      (label, fired or "none", out[-3000:], err[-3000:]))
        if unexplained:
            self.fail("%s: apply failed for a reason no injected fault "
                      "explains (faults fired: %s):\n  %s" % (
                          label, fired, "\n  ".join(unexplained)))
        return "failed"

    def wrong_key(self, label):
        """Field case: the workspace's key file holds another workspace's
        key: the organisation's own key copied over it (detectable when
        the manifest creates the workspace), or a key file recorded for
        another workspace. apply must refuse before any request, naming
        both, and change nothing; the right key is then put back."""
        self.sim_alive()
        self.counts["runs"] += 1
        creates = self.model.ws_mode in ("out", "both")
        variant = "org" if creates and random.Random(
            "%d:%s" % (self.seed, label)).random() < 0.5 else "recorded"
        with open(self.ws_key, "rb") as f:
            right = f.read()
        wrong = {"client_id": "sim-admin", "client_secret": "sim-admin-secret"}
        if variant == "recorded":
            wrong["workspace_name"] = "Template"
        with open(self.ws_key, "w") as f:
            json.dump(wrong, f)
        before = http(self.base, "GET", "/_sim/stats")
        args = ["apply", "soak.yaml", "--yes", "--prune"]
        cmd = [self.tool] + args + ["--credentials", "secrets/org.json"]
        p = subprocess.run(cmd, cwd=self.work, env=self.run_env(),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=HANG_S)
        after = http(self.base, "GET", "/_sim/stats")
        with open(self.ws_key, "wb") as f:
            f.write(right)
        err = p.stderr.decode("utf-8", "replace")
        self.counts["wrong_keys"] = self.counts.get("wrong_keys", 0) + 1
        self.history.append("%s: a wrong key file (%s), rc %d" % (
            label, variant, p.returncode))
        self.history = self.history[-12:]
        want = ("is the organisation key" if variant == "org" else
                "belongs to workspace 'Template'")
        if p.returncode != 1 or want not in err:
            self.fail("%s: apply with a wrong key file (%s) did not refuse "
                      "(exit %d):\n%s%s" % (label, variant, p.returncode,
                                            p.stdout.decode()[-3000:], err))
        if after["requests_total"] != before["requests_total"]:
            self.fail("%s: apply with a wrong key file made %d requests "
                      "before refusing" % (label, after["requests_total"] -
                                           before["requests_total"]))
        self.check_duplicates(label)

    def two_applies(self, label, dirs):
        """Two applies of soak.yaml at once, from dirs (one tree, or two),
        every request 20 ms late to widen the race; their exit codes and
        all their output, searched for secrets and crashes."""
        self.sim_alive()
        self.counts["runs"] += 2
        rules = [{"route": "*", "kind": "latency", "latency_ms": 20,
                  "every": 1}]
        self.set_faults(rules, 0)
        args = ["apply", "soak.yaml", "--yes"]
        if self.model.prune_via.startswith("flag"):
            args.append("--prune")
        cmd = [self.tool] + args + ["--credentials", "secrets/org.json"]
        procs = [subprocess.Popen(cmd, cwd=where, env=self.run_env(),
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for where in dirs]
        t0 = time.monotonic()
        outs = []
        for p in procs:
            try:
                out, err = p.communicate(timeout=HANG_S)
            except subprocess.TimeoutExpired:
                for q2 in procs:
                    q2.kill()
                self.fail("%s: two applies at once hung (over %d s)" %
                          (label, HANG_S))
            outs.append((out.decode("utf-8", "replace"),
                         err.decode("utf-8", "replace")))
        self.last_time = time.monotonic() - t0
        codes = [p.returncode for p in procs]
        text = "".join(o + e for o, e in outs)
        self.last.update(label=label, rules=rules, rc=codes, args=args,
                         out="".join(o for o, _ in outs),
                         err="".join(e for _, e in outs),
                         time=self.last_time)
        self.history.append("%s: two applies at once, rc %s in %.2f s" % (
            label, codes, self.last_time))
        self.history = self.history[-12:]
        if self.verbose:
            print("  %s: two applies at once -> exit %s in %.2f s" % (
                label, codes, self.last_time), flush=True)
        self.clear_faults()
        self.scan_secrets(label, [("stdout", text), ("stderr", text)])
        self.check_modes(label)
        if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:|"
                     r"Segmentation fault|Assertion .* failed", text):
            self.fail("%s: the client crashed:\n%s" % (label, text[-4000:]))
        return codes, text

    def race(self, label):
        """Field case: two applies of the same edited manifest at once, on
        one machine. The workspace lock makes the second wait and plan
        afresh: both exit 0, nothing is duplicated or lost, and neither
        reports the other as an interrupted run. Every other time they
        run on two machines (race_apart)."""
        self.counts["races"] = self.counts.get("races", 0) + 1
        if self.counts["races"] % 2 == 0:
            return self.race_apart(label + " (two machines)")
        codes, text = self.two_applies(label, (self.work, self.work))
        self.check_duplicates(label)
        if codes != [0, 0]:
            self.fail("%s: two applies at once exited %s:\n%s" % (
                label, codes, text[-6000:]))
        if "was interrupted" in text:
            self.fail("%s: an apply took the other for an interrupted run:"
                      "\n%s" % (label, text[-6000:]))
        self.check_converged(label)

    def race_apart(self, label):
        """Field case: two machines apply the same edit at once: two copies
        of the work tree, so no shared lock. Both may create what the edit
        adds; every duplicate must then show in the plan naming --dedupe,
        and apply --dedupe must leave each object once, as the manifest
        says."""
        other = self.work + "-other"
        shutil.rmtree(other, ignore_errors=True)
        shutil.copytree(self.work, other, symlinks=True)
        try:
            codes, text = self.two_applies(label, (self.work, other))
        finally:
            shutil.rmtree(other, ignore_errors=True)
        if any(c not in (0, 1) for c in codes):
            self.fail("%s: two applies exited %s:\n%s" % (
                label, codes, text[-6000:]))
        dups = duplicates(http(self.base, "GET", "/_sim/state"))
        self.counts["apart_dups"] = self.counts.get("apart_dups", 0) + \
            len(dups)
        rc, out, err, _, timed_out = self.torq(self.plan_args(),
                                               CHECK_TIMEOUT_S)
        if timed_out:
            self.fail("%s: plan hung (over %d s)" % (label, CHECK_TIMEOUT_S))
        shown = len(re.findall(r"^! .*identical copies", out, re.M))
        if dups and (rc != 2 or "(apply --dedupe keeps" not in out):
            self.fail("%s: duplicates %s, but the plan does not offer "
                      "--dedupe (exit %s):\n%s%s" % (label, dups, rc, out,
                                                     err))
        if shown and not dups:
            self.fail("%s: the plan shows copies torq-sim does not hold:"
                      "\n%s" % (label, out))
        self.counts["deduped"] = self.counts.get("deduped", 0) + shown
        res = self.apply(label + " (--dedupe)", [], 0, tolerate=True,
                         extra=["--dedupe"])
        if res != "ok" and not self.mend_lost(label):
            self.fail("%s: apply --dedupe failed:\n%s%s" % (
                label, self.last["out"][-3000:], self.last["err"][-3000:]))
        self.check_converged(label + " (after --dedupe)")

    def note_failures(self, label, text):
        """Counts why steps (or the whole run) failed, without ids; returns
        the failures no injected fault explains."""
        unexplained = []
        for line in text.splitlines():
            mt = re.search(r": failed: (.*)$", line)
            if mt:
                why = mt.group(1)
            elif line.startswith("torq-apply: ") and not re.match(
                    r"torq-apply: ([<>!] |note: |warning: )", line):
                why = line[len("torq-apply: "):]
            else:
                continue
            if BENIGN.search(why):
                continue
            if not EXPLAINED.search(why):
                unexplained.append(line)
            why = re.sub(r"https?://[^ ]*", "URL", why)
            why = re.sub(r"sim-[0-9]+", "sim-N", why)
            why = re.sub(r"'[^']*'", "'X'", why)
            self.reasons[why] = self.reasons.get(why, 0) + 1
        return unexplained

    def recover(self, label, why):
        """Fault-free runs of the same manifest until one succeeds."""
        for attempt in range(1, RECOVERY_ATTEMPTS + 1):
            self.counts["recovery"] += 1
            res = self.apply("%s recovery %d (%s)" % (label, attempt, why),
                             [], 0, tolerate=True)
            if res == "ok":
                self.counts["recovery_retries"] += attempt - 1
                self.check_converged("%s, after %s" % (label, why))
                return
            if self.mend_lost("%s recovery %d" % (label, attempt)):
                return
        self.fail("%s: apply after %s failed %d times without faults:\n%s%s"
                  % (label, why, RECOVERY_ATTEMPTS, self.last["out"][-3000:],
                     self.last["err"][-3000:]))

    # install commands: shown once, never lost silently
    def mend_lost(self, label):
        """The last apply reported runners whose install command reached
        no file: `apply --replace` must mend them, fault-free. Returns
        whether there were any."""
        names = self.lost_names()
        if not names:
            return False
        # a runner created by a request that landed after the kill shows
        # up one run later: replace until none is reported
        for _ in range(3):
            self.counts["lost_reported"] += len(names)
            extra = []
            for n in names:
                extra += ["--replace", "step_runner:" + n]
            res = self.apply("%s (--replace %s)" % (label, ", ".join(names)),
                             [], 0, tolerate=True, extra=extra)
            if res == "ok":
                self.counts["lost_replaced"] += len(names)
                self.check_converged(label + " (after --replace)")
                return True
            names = self.lost_names()
            if not names:
                break
        self.fail("%s: apply --replace failed:\n%s%s" % (
            label, self.last["out"][-3000:], self.last["err"][-3000:]))

    def lost_names(self):
        return sorted(set(LOST.findall(self.last.get("out", "") +
                                       self.last.get("err", ""))))

    def check_install_files(self, label, state):
        """Verdict "no install command lost silently": once a plan says
        the workspace matches, every runner of the manifest that has an
        install_commands_out has its file (0600), and a Kubernetes
        runner's file names that very runner (its id is in the command)."""
        ws = self.find_ws(state, self.model.ws_name) or {}
        live = {r["display_name"]: r for r in ws.get("step_runners", [])}
        for name in self.model.runners:
            _, platform, _, outfile = [r for r in RUNNER_POOL
                                       if r[0] == name][0]
            if not outfile or name not in live:
                continue
            path = os.path.join(self.work, "runners", slug(name) + ".sh")
            if not os.path.exists(path):
                self.fail("%s: step runner '%s' exists, the plan is empty,"
                          " and runners/%s.sh does not exist: an install "
                          "command lost silently" % (label, name,
                                                     slug(name)))
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if platform == "kubernetes" and live[name]["id"] not in text:
                self.fail("%s: runners/%s.sh holds another runner's "
                          "install command, not that of '%s' (%s), and the"
                          " plan is empty: an install command lost "
                          "silently" % (label, slug(name), name,
                                        live[name]["id"]))

    def field_runner_kills(self):
        """Field case: apply killed between a runner's creation and its
        file (torq-sim holds the answer back: latency_after), by SIGKILL,
        by two SIGTERMs and by one. Verdict: no install command lost
        silently -- the kill that leaves no file is reported by plan and
        apply (exit 1, naming the runner) and mended by --replace; one
        SIGTERM lets the step finish and write the file."""
        RUNNER_POOL.extend(FIELD_RUNNERS)   # the edits are over
        key_exists = os.path.exists(self.ws_key)
        if not key_exists:
            return
        rnd = random.Random("%d:field-runners" % self.seed)
        cases = [("SIGKILL", [signal.SIGKILL]),
                 ("two SIGTERMs", [signal.SIGTERM, signal.SIGTERM]),
                 ("SIGTERM", [signal.SIGTERM])]
        for (how, sigs), spec in zip(cases, FIELD_RUNNERS):
            name = spec[0]
            label = "field case: %s between runner '%s''s creation and " \
                "its file" % (how, name)
            self.model.runners.append(name)
            self.write_files(self.model, rnd, key_exists)
            rc, out, err = self.kill_in_runner_window(label, name, sigs)
            self.counts["field_runner_kills"] += 1
            self.last.update(label=label, rules=[], rc=rc, out=out,
                             err=err, args=["apply"], time=0)
            self.scan_secrets(label, [("stdout", out), ("stderr", err)])
            self.check_modes(label)
            self.check_duplicates(label)
            if how == "SIGTERM":
                if rc != 1 or "stopped by SIGTERM" not in err:
                    self.fail("%s: apply exited %s:\n%s%s" % (
                        label, rc, out[-3000:], err[-3000:]))
                res = self.apply(label + ", apply again", [], 0,
                                 tolerate=True)
                if res != "ok":
                    self.fail("%s: apply after it failed:\n%s%s" % (
                        label, self.last["out"][-3000:],
                        self.last["err"][-3000:]))
                self.check_converged(label)
                continue
            prc, pout, perr, _, _ = self.torq(["plan", "soak.yaml"],
                                              CHECK_TIMEOUT_S)
            want = "! step runner '%s': install command never " \
                "delivered" % name
            if want not in pout:
                self.fail("%s: the plan does not show %r:\n%s%s" % (
                    label, want, pout[-3000:], perr[-3000:]))
            res = self.apply(label + ", apply", [], 0, tolerate=True)
            if res == "ok" or name not in self.lost_names():
                self.fail("%s: apply does not fail naming runner '%s':"
                          "\n%s" % (label, name, self.last["err"][-3000:]))
            if not self.mend_lost(label):
                self.fail("%s: nothing to mend" % label)

    def kill_in_runner_window(self, label, name, sigs):
        """apply, with torq-sim holding back the answer of the first
        runner creation; sigs are sent once runner name exists."""
        http(self.base, "POST", "/_sim/faults", {"rules": [
            {"route": "POST /v1alpha/step_runners", "kind": "latency_after",
             "latency_ms": 3000, "count": 1}]})
        args = ["apply", "soak.yaml", "--yes", "--parallel", "1"]
        if self.model.prune_via.startswith("flag"):
            args.append("--prune")
        cmd = [self.tool] + args + ["--credentials", "secrets/org.json"]
        p = subprocess.Popen(cmd, cwd=self.work, env=self.run_env(),
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < HANG_S:
            ws = self.find_ws(http(self.base, "GET", "/_sim/state"),
                              self.model.ws_name) or {}
            if any(r["display_name"] == name
                   for r in ws.get("step_runners", [])):
                break
            time.sleep(0.01)
        else:
            p.kill()
            p.communicate()
            self.fail("%s: runner '%s' was never created" % (label, name))
        for sig in sigs:
            p.send_signal(sig)
            time.sleep(0.05)
        try:
            out, err = p.communicate(timeout=HANG_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("%s: apply hung after %s" % (label, sigs))
        time.sleep(0.3)     # what was in flight lands
        self.clear_faults()
        return (p.returncode, out.decode("utf-8", "replace"),
                err.decode("utf-8", "replace"))

    def progress(self, step):
        c = self.counts
        print("soak: run %d (step %d), %.0f s: %d killed, %d failed under "
              "faults, %d states checked" % (c["runs"], step, self.elapsed(),
                                             c["killed"], c["failed"],
                                             c["checked"]), flush=True)

    def main(self):
        rnd0 = random.Random("%d:initial" % self.seed)
        self.model = initial_model(self.seed, rnd0)
        fails = 0
        step = 0
        next_progress = PROGRESS_EVERY
        pending = None          # "killed" or "failed": the last state
        while True:
            if time.monotonic() >= self.deadline:
                break
            if self.max_runs and self.counts["runs"] >= self.max_runs:
                break
            step += 1
            label = "run %d (step %d)" % (self.counts["runs"] + 1, step)
            key_exists = os.path.exists(self.ws_key)
            rnd = random.Random("%d:%d:edits" % (self.seed, step))
            frnd = random.Random("%d:%d:faults" % (self.seed, step))
            edits = []
            if step > 1:
                for _ in range(rnd.choice([0, 1, 1, 2, 2, 3, 4, 6])):
                    d = edit(self.model, rnd)
                    if d != "none":
                        edits.append(d)
                fix_model(self.model)
            self.write_files(self.model, rnd, key_exists)
            for w in self.model.workflows:
                if w["publish"]:
                    self.maybe_published.add(w["name"])
            for e, r in self.model.users:
                if r == "Owner":
                    self.owner_ever.add(e.lower())
            if race_now(self.seed, step) and key_exists and not pending:
                self.race(label + " (two at once)")
                continue
            if wrong_key_now(self.seed, step) and key_exists and \
                    not pending:
                self.wrong_key(label + " (a wrong key file)")
                continue
            if fails >= MAX_FAILS:
                # K failures in a row: without faults it must succeed
                self.counts["forced"] += 1
                if self.verbose:
                    print("  %s: edits %s; no faults after %d failures in a "
                          "row" % (label, edits or "none", fails), flush=True)
                res = self.apply(label + " (no faults after %d failures)" %
                                 fails, [], 0)
                if res != "ok" and not self.mend_lost(label):
                    self.fail("%s: apply failed without faults after %d "
                              "failed runs:\n%s%s" % (
                                  label, fails, self.last["out"][-3000:],
                                  self.last["err"][-3000:]))
                fails = 0
                self.check_converged(label)
                pending = None
            else:
                rules = pick_faults(frnd, key_exists,
                                    likely_routes(edits, self.model))
                kill = frnd.randrange(KILL_ONE_IN) == 0
                kill_at = None
                if storm(self.seed, step) and key_exists:
                    # every change fails at once: runs fail in a row until
                    # K of them make the next one go without faults
                    rules += [{"kind": "status", "route": r, "every": 1,
                               "status": 502, "count": 1000}
                              for r in ROUTES if not r.startswith(
                                  ("GET ", "POST /v1/"))]
                    kill = False
                    self.counts["storm"] += 1
                if kill:
                    rules = [r for r in rules if r["kind"] != "latency"]
                    rules.append({"route": "*", "kind": "latency",
                                  "latency_ms": frnd.choice([5, 10, 20, 30]),
                                  "every": 1})
                    kill_at = frnd.randint(1, 50)
                verbose = frnd.random() < 0.25
                parallel = frnd.choice([None, None, None, 1, 2, 4, 16])
                if self.verbose:
                    print("  %s: edits %s; faults %s%s" % (
                        label, edits or "none", json.dumps(rules),
                        "; SIGKILL after %d requests" % kill_at if kill
                        else ""),
                        flush=True)
                res = self.apply(label, rules, frnd.randrange(1 << 30),
                                 kill_at, verbose, parallel)
                if res == "ok":
                    fails = 0
                    self.check_converged(label)
                    pending = None
                elif res == "failed" and self.mend_lost(label):
                    fails = 0
                    pending = None
                elif res == "failed":
                    fails += 1
                    self.counts["failed"] += 1
                    pending = "failed"
                    if self.verbose:
                        for line in (self.last["out"] +
                                     self.last["err"]).splitlines():
                            if ": failed: " in line:
                                print("    " + line[:200], flush=True)
                else:
                    fails = 0
                    pending = None
                    self.recover(label, "SIGKILL")
            if self.counts["runs"] >= next_progress:
                self.progress(step)
                next_progress = (self.counts["runs"] // PROGRESS_EVERY + 1) \
                    * PROGRESS_EVERY
        if pending:
            # the last run failed under faults: the end must converge too
            self.recover("final", "the last run failed under faults")
        self.field_runner_kills()
        return self.summary()

    def summary(self):
        c = self.counts
        stats = http(self.base, "GET", "/_sim/stats")
        fired = ", ".join("%s x%d" % (k, v) for k, v in
                          sorted(self.fired.items(), key=lambda kv: -kv[1]))
        by_status = ", ".join("%s x%d" % (k, v) for k, v in
                              sorted(stats["by_status"].items()))
        seen = set(stats["by_route"])
        unseen = [r for r in ROUTES if r not in seen]
        print("soak: %d runs in %.0f s (%d killed, %d failed under faults "
              "and recovered), faults injected: %s, states checked: %d, "
              "lost objects: %d, duplicated objects: %d" % (
                  c["runs"], self.elapsed(), c["killed"], c["failed"],
                  fired or "none", c["checked"], c["lost"], c["duplicated"]))
        print("soak: seed %d; torq-sim: %d requests, %d mutations, by status:"
              " %s" % (self.seed, stats["requests_total"],
                       stats["mutations_total"], by_status))
        print("soak: %d runs in storms (every change failing), %d "
              "fault-free runs after %d failures in a row, %d "
              "recovery runs after a SIGKILL (%d retried), %d kills that "
              "came after the run ended, %d runs with -v, %d duplicate "
              "checks, %d secret values searched for; %.0f s in apply, "
              "%.0f s in plan" % (
                  c["storm"], c["forced"], MAX_FAILS, c["recovery"],
                  c["recovery_retries"], c["kill_missed"], c["verbose_runs"],
                  c["dup_checks"], len(self.tails),
                  self.spent.get("apply", 0), self.spent.get("plan", 0)))
        print("soak: field case \"kills between a runner's creation and "
              "its file\": %d kills; %d lost install commands reported and "
              "%d replaced; verdict: no install command lost silently" % (
                  c["field_runner_kills"], c["lost_reported"],
                  c["lost_replaced"]))
        print("soak: %d field cases of two applies racing on one workspace"
              " (half of them from two machines: duplicates in %d lists, %d "
              "objects shown with copies and mended by --dedupe)" % (
                  c.get("races", 0), c.get("apart_dups", 0),
                  c.get("deduped", 0)))
        print("soak: %d field cases of a wrong key file, each refused "
              "before any request" % c.get("wrong_keys", 0))
        top = sorted(self.reasons.items(), key=lambda kv: -kv[1])[:8]
        if top:
            print("soak: why steps failed under faults (top %d):" % len(top))
            for k, v in top:
                print("  %4d  %s" % (v, k[:160]))
        if unseen:
            print("soak: note: routes never requested: %s" % ", ".join(unseen))
        return 0

    def report(self, msg):
        print("FAIL soak seed %d, %s" % (self.seed, msg))
        if not hasattr(self, "model"):
            return
        print("--- last runs:")
        for h in self.history:
            print("  " + h)
        print("--- manifest (%s):" % self.manifest)
        print(getattr(self, "manifest_text", "(none)"), end="")
        for w in self.model.workflows if hasattr(self, "model") else []:
            if not w["source"]:
                print("--- workflows/%s.yaml:" % slug(w["name"]))
                print(render_workflow(w["name"], self.model.content[
                    w["name"]]), end="")
        if self.last:
            print("--- last apply: %s, exit %s, %.2f s, faults %s" % (
                " ".join(self.last.get("args", [])), self.last.get("rc"),
                self.last.get("time", 0), json.dumps(self.last.get("rules"))))
            print(self.last.get("out", "")[-6000:], end="")
            print(self.last.get("err", "")[-6000:], end="")
        print("--- reproduce: python3 tests/soak/soak.py %s %s --seed %d "
              "--runs %d" % (self.tool, self.sim_bin, self.seed,
                             self.counts["runs"]))
        print("--- work directory kept: %s (secrets in %s, torq-sim log %s)" %
              (self.work, self.secret_dir, self.sim_log.name))

    def close(self, ok):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.sim_log.close()
        if ok and not self.keep:
            for d in (self.work, self.secret_dir, self.log_dir):
                shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("torq_apply")
    ap.add_argument("torq_sim")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--runs", type=int, default=0,
                    help="stop after this many applies (0: no limit)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory")
    ap.add_argument("--verbose", action="store_true",
                    help="one line per run")
    ap.add_argument("--sim-rate-limit", type=int, default=0,
                    help="torq-sim's --rate-limit (default 0, off: 429s are "
                    "injected, and runs back to back stay short; Torq's is "
                    "50)")
    ap.add_argument("--quirks", default=None,
                    help="torq-sim's --quirks LIST")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1, 1 << 20)
    tool, sim = os.path.abspath(a.torq_apply), os.path.abspath(a.torq_sim)
    print("soak: seed %d, %g s%s, %s against %s" % (
        seed, a.seconds, ", at most %d runs" % a.runs if a.runs else "",
        tool, sim), flush=True)
    soak = None
    ok = False
    try:
        sim_args = []
        if a.sim_rate_limit is not None:
            sim_args += ["--rate-limit", str(a.sim_rate_limit)]
        if a.quirks:
            sim_args += ["--quirks", a.quirks]
        soak = Soak(tool, sim, seed, a.seconds, a.runs, a.keep, a.verbose,
                    sim_args)
        soak.setup()
        rc = soak.main()
        ok = rc == 0
        return rc
    except Violation as e:
        if soak:
            soak.report(str(e))
        else:
            print("FAIL soak seed %d: %s" % (seed, e))
        return 1
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
        # torq-sim gone or answering nonsense, or this script's own bug
        why = "%s: %s" % (type(e).__name__, e)
        if soak and soak.proc and soak.proc.poll() is not None:
            why = "torq-sim exited (status %s) -- %s" % (
                soak.proc.returncode, why)
        if soak:
            soak.report("the soak itself failed: " + why)
        else:
            print("FAIL soak seed %d: %s" % (seed, why))
        import traceback
        traceback.print_exc()
        return 1
    finally:
        if soak:
            soak.close(ok)


if __name__ == "__main__":
    sys.exit(main())
