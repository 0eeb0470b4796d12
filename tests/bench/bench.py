#!/usr/bin/python3
"""make bench: one table of what torq-apply costs against the naive way.

usage: bench.py TORQ_APPLY TORQ_SIM [--quick] [--simload PATH]

Every API workload runs against torq-sim with 50 ms injected on every
request and its default rate limit of 50 requests per second per
workspace (--latency-ms 50 --rate-limit 50); torq-apply runs with its
defaults (--parallel 8, --rate-limit 50, adaptive). Requests are counted by
torq-sim (/_sim/stats requests_total: API and token requests).

Rows (the order of the table; they are measured apply first):
  read   the large workspace (1,000 users, 200 integrations, 10 step
         runners, 300 workflows) read back: `torq-apply plan` of the
         manifest that made it (no changes, checked with
         --detailed-exitcode; its list calls and one revision read per
         workflow, for the YAML), against a naive script that takes a
         token, lists roles, users (local and SSO), claim mappings,
         integrations and step runners one page at a time (the API has
         no per-object read for them), lists the workflows and then GETs
         each workflow and its current revision, one request at a time.
  apply  that content made in a workspace holding only its owner:
         `torq-apply apply --yes` (which also reads before, reads each
         workflow before publishing it, and reads and plans again after)
         against a naive script: a token, the role list, then one
         request per change (invite, create integration, create runner,
         import, publish, tag), one at a time, each answer awaited. The
         two end states are compared object by object (/_sim/state);
         any difference fails the bench.
  plan   load+validate+plan of generated manifests of 1,000, 10,000
         and 100,000 users against the workspace holding only its owner
         (a plan of that many invites): wall, CPU time (user+sys) and
         peak RSS of the child (os.wait4); and `validate` of each
         manifest alone. Below the table, the growth of CPU time for each
         tenfold size (about 10 is linear, about 100 quadratic) and the
         goals: load+validate+plan of 10,000 users under 100 ms of CPU,
         of 100,000 under 1 s of CPU and 300 MiB peak. Peak RSS has a
         floor of about this script's own size: ru_maxrss survives the
         fork and exec that start the child.
  emulator throughput: torq-sim with the rate limit off, 4 client
         threads on keep-alive connections, GET /v1alpha/users (a page
         of 50) of a 10,000-user workspace (tests/sim/simload --users;
         a Python loop when it is not built), in pages per second
         against a goal of 2,000: a page must cost the page, not
         the workspace.

--quick divides every size by 10 (a smoke run for CI).
"""
import argparse
import concurrent.futures
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

LATENCY_MS = 50
PAGES_GOAL = 2000
RATE_LIMIT = 50
WORKSPACE = "Bench"
OWNER = "owner@bench.example"
ROLES = ("Contributor", "Creator", "Operator", "Viewer", "Cases Analyst")
VENDORS = ("webhook", "slack", "jira")
TRIGGERS = ("on_demand", "webhook", "schedule")
TAG = "bench"
SECRET_ENV = "BENCH_INTEGRATION_TOKEN"

# Values that must never be printed (scrubbed from any error output).
SECRETS = []


class BenchError(Exception):
    pass


def scrub(text):
    for s in SECRETS:
        text = text.replace(s, "(secret)")
    return text


def fail(msg):
    raise BenchError(scrub(msg))


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- torq-sim

class Sim:
    """A torq-sim on a free port, started from a seed file."""

    def __init__(self, exe, seed, work, args):
        self.log_path = os.path.join(work, "torq-sim.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--seed", seed] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:[0-9]+", line)
        if not m:
            self.stop()
            with open(self.log_path) as f:
                fail("torq-sim did not start:\n" + line + f.read())
        self.base = m.group(0)
        # Keep its stdout drained, whatever it prints later.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def ctl(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + "/_sim" + path, data=data,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"null")
        except (urllib.error.URLError, OSError) as e:
            fail("torq-sim control %s /_sim%s: %s" % (method, path, e))

    def requests(self):
        s = self.ctl("GET", "/stats")
        return s["requests_total"], s["mutations_total"]

    def workspace(self):
        for ws in self.ctl("GET", "/state")["workspaces"]:
            if ws["name"] == WORKSPACE:
                return ws
        fail("torq-sim: no workspace '%s' in the state" % WORKSPACE)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ------------------------------------------------------------- torq-apply

class Run:
    """One child process: exit code, output, wall, CPU and peak RSS."""

    def __init__(self, argv, cwd, env):
        out = tempfile.TemporaryFile(mode="w+")
        err = tempfile.TemporaryFile(mode="w+")
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=cwd, env=env,
                             stdin=subprocess.DEVNULL, stdout=out,
                             stderr=err)
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:           # SIGTERM, ^C: leave no orphan
            p.kill()
            p.wait()
            raise
        self.wall = time.monotonic() - t0
        p.returncode = self.code = os.waitstatus_to_exitcode(status)
        self.cpu = ru.ru_utime + ru.ru_stime
        self.rss_kib = ru.ru_maxrss            # KiB on Linux
        out.seek(0)
        err.seek(0)
        self.stdout, self.stderr = out.read(), err.read()
        out.close()
        err.close()
        self.argv = argv

    def check(self, *codes):
        if self.code not in codes:
            fail("%s exited %d (expected %s):\n%s%s" % (
                " ".join(os.path.basename(a) if i == 0 else a
                         for i, a in enumerate(self.argv)),
                self.code, "/".join(map(str, codes)),
                self.stdout[-4000:], self.stderr[-4000:]))
        return self


def measured(sim, fn):
    """Run fn(); return (its result, requests, mutations, wall)."""
    r0, m0 = sim.requests()
    t0 = time.monotonic()
    res = fn()
    wall = time.monotonic() - t0
    r1, m1 = sim.requests()
    return res, r1 - r0, m1 - m0, wall


# ------------------------------------------------------ the naive client

class Naive:
    """What a hand-written script does: urllib, one request at a time,
    each answer awaited, a token fetched once; a 429 waits for its
    Retry-After and is sent again."""

    def __init__(self, base, client_id, client_secret):
        self.base = base
        self.api = base + "/public/v1alpha"
        self.basic = base64.b64encode(
            ("%s:%s" % (client_id, client_secret)).encode()).decode()
        self.token = None

    def _send(self, req, what):
        while True:
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    text = r.read()
                return json.loads(text) if text else None
            except urllib.error.HTTPError as e:
                body = e.read().decode(errors="replace")
                if e.code == 429:
                    time.sleep(float(e.headers.get("Retry-After") or 1))
                    continue
                fail("naive client: %s: HTTP %d %s" % (what, e.code,
                                                       body[:500]))
            except (urllib.error.URLError, OSError) as e:
                fail("naive client: %s: %s" % (what, e))

    def login(self):
        req = urllib.request.Request(
            self.base + "/v1/auth/token", method="POST",
            data=b"grant_type=client_credentials",
            headers={"Authorization": "Basic " + self.basic,
                     "Content-Type": "application/x-www-form-urlencoded"})
        self.token = self._send(req, "POST /v1/auth/token")["access_token"]
        SECRETS.append(self.token)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + self.token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.api + path, data=data,
                                     method=method, headers=headers)
        return self._send(req, "%s %s" % (method, path.split("?")[0]))

    def list(self, path, key, **query):
        """Every page of a list, with the default page size."""
        items, page = [], None
        while True:
            q = dict(query)
            if page:
                q["page_token"] = page
            res = self.call("GET", path + ("?" + urllib.parse.urlencode(q)
                                           if q else ""))
            items += res.get(key, [])
            page = res.get("next_page_token")
            if not page:
                return items


def naive_read(naive):
    """Read the whole workspace, one object at a time where the API has a
    per-object read (workflows and their revisions); users, integrations
    and step runners have none, so they are listed page by page."""
    naive.login()
    roles = naive.list("/users/roles", "roles")
    users = (naive.list("/users", "users", sso_provision="false") +
             naive.list("/users", "users", sso_provision="true"))
    mappings = naive.list("/sso/claim_mappings", "claim_mappings")
    integrations = naive.list("/integrations", "integrations")
    runners = naive.list("/step_runners", "step_runners")
    workflows = []
    for w in naive.list("/workflows", "workflows"):
        wf = naive.call("GET", "/workflows/%s" % w["id"])
        rev = naive.call("GET", "/workflows/%s/revisions/%s" % (
            wf["id"], wf["current_revision_id"]))["revision"]
        wf["yaml"] = rev["yaml"]
        workflows.append(wf)
    return dict(roles=roles, users=users, claim_mappings=mappings,
                integrations=integrations, step_runners=runners,
                workflows=workflows)


def naive_apply(naive, spec, secret, outdir):
    """Create the spec's content in an existing workspace, one request
    after another: invite each user, create each integration and step
    runner (keeping its install command), import each workflow, publish
    it, tag it."""
    naive.login()
    role_id = {r["name"]: r["id"]
               for r in naive.list("/users/roles", "roles")}
    for email, role in spec["users"]:
        if email == OWNER:
            continue                    # the workspace's owner exists
        naive.call("POST", "/users/invite",
                   {"email": email, "role_id": role_id[role]})
    for name, vendor, params in spec["integrations"]:
        naive.call("POST", "/integrations", {
            "display_name": name, "type_id": vendor,
            "parameters": dict(params, token=secret)})
    for name, platform in spec["runners"]:
        body = {"display_name": name, "platform": platform}
        if platform == "kubernetes":
            body["kubernetes_options"] = {"allow_cluster_management": False}
        res = naive.call("POST", "/step_runners", body)
        write_private(os.path.join(outdir, name + ".sh"),
                      res["step_runner"].get("install_command", "") + "\n")
    for name, yaml in spec["workflows"]:
        res = naive.call("POST", "/workflows/import",
                         {"yaml": yaml, "name": name})
        naive.call("PATCH", "/workflows/%s/revisions/%s/publish" % (
            res["workflow_id"], res["revision_id"]), {})
        naive.call("POST", "/workflows/%s/tags" % res["workflow_id"],
                   {"name": TAG})


# ------------------------------------------------------- the fair script

FAIR_THREADS = 8


class Fair(Naive):
    """The script a capable engineer writes: pages of 100, no per-workflow
    GET where the list gives the revision id, 8 threads, Retry-After
    honoured (Naive._send), one token for all."""

    def list(self, path, key, **query):
        query.setdefault("page_size", "100")
        return Naive.list(self, path, key, **query)


def fair_read(fair):
    fair.login()
    with concurrent.futures.ThreadPoolExecutor(FAIR_THREADS) as pool:
        lists = {k: pool.submit(fair.list, p, k, **q) for k, p, q in (
            ("roles", "/users/roles", {}),
            ("users", "/users", {"sso_provision": "false"}),
            ("sso", "/users", {"sso_provision": "true"}),
            ("claim_mappings", "/sso/claim_mappings", {}),
            ("integrations", "/integrations", {}),
            ("step_runners", "/step_runners", {}),
            ("workflows", "/workflows", {}))}
        got = {k: f.result() for k, f in lists.items()}
        revs = [pool.submit(fair.call, "GET",
                            "/workflows/%s/revisions/%s" % (
                                w["id"], w["current_revision_id"]))
                for w in got["workflows"]]
        for w, r in zip(got["workflows"], revs):
            w["yaml"] = r.result()["revision"]["yaml"]
    got["users"] += got.pop("sso")
    return got


def fair_apply(fair, spec, secret, outdir):
    """The naive apply's requests, 8 at a time: every invite,
    integration and runner at once; each workflow's import, publish and
    tag one after another, the workflows side by side."""
    fair.login()
    role_id = {r["name"]: r["id"]
               for r in fair.list("/users/roles", "roles")}

    def runner(name, platform):
        body = {"display_name": name, "platform": platform}
        if platform == "kubernetes":
            body["kubernetes_options"] = {"allow_cluster_management": False}
        res = fair.call("POST", "/step_runners", body)
        write_private(os.path.join(outdir, name + ".sh"),
                      res["step_runner"].get("install_command", "") + "\n")

    def workflow(name, yaml):
        res = fair.call("POST", "/workflows/import",
                        {"yaml": yaml, "name": name})
        fair.call("PATCH", "/workflows/%s/revisions/%s/publish" % (
            res["workflow_id"], res["revision_id"]), {})
        fair.call("POST", "/workflows/%s/tags" % res["workflow_id"],
                  {"name": TAG})

    with concurrent.futures.ThreadPoolExecutor(FAIR_THREADS) as pool:
        jobs = [pool.submit(fair.call, "POST", "/users/invite",
                            {"email": e, "role_id": role_id[r]})
                for e, r in spec["users"] if e != OWNER]
        jobs += [pool.submit(fair.call, "POST", "/integrations", {
            "display_name": n, "type_id": v,
            "parameters": dict(p, token=secret)})
            for n, v, p in spec["integrations"]]
        jobs += [pool.submit(runner, n, p) for n, p in spec["runners"]]
        jobs += [pool.submit(workflow, n, y) for n, y in spec["workflows"]]
        for j in jobs:
            j.result()


# ------------------------------------------------------- the large workspace

def spec_of(users, integrations, runners, workflows):
    spec = {"users": [(OWNER, "Owner")], "integrations": [],
            "runners": [], "workflows": []}
    for i in range(1, users):
        spec["users"].append(("user%05d@bench.example" % i,
                              ROLES[i % len(ROLES)]))
    for i in range(integrations):
        name = "int-%04d" % i
        spec["integrations"].append((name, VENDORS[i % len(VENDORS)], {
            "url": "https://hooks.bench.example/%s" % name}))
    for i in range(runners):
        spec["runners"].append(("runner-%02d" % i,
                                ("kubernetes", "docker")[i % 2]))
    for i in range(workflows):
        name = "wf-%04d" % i
        trig = TRIGGERS[i % len(TRIGGERS)]
        yaml = "name: %s\ntrigger:\n  type: %s\n" % (name, trig)
        if trig == "schedule":
            yaml += "  cron: \"0 %d * * *\"\n" % (i % 24)
        yaml += ("steps:\n  - id: notify\n    type: http\n"
                 "    url: https://bench.example/%s\n" % name)
        spec["workflows"].append((name, yaml))
    return spec


def q(s):
    return json.dumps(s)        # a JSON string is a YAML double-quoted one


def write_manifest(d, spec):
    """The manifest of the spec, its workflow files and its key file."""
    os.makedirs(os.path.join(d, "workflows"))
    lines = ["version: 1", "workspace:", "  name: " + WORKSPACE,
             "  credentials: secrets/bench.json"]
    if spec["users"]:
        lines.append("users:")
        lines += ["  - { email: %s, role: %s }" % (q(e), q(r))
                  for e, r in spec["users"]]
    if spec["integrations"]:
        lines.append("integrations:")
        for name, vendor, params in spec["integrations"]:
            lines += ["  - name: " + q(name), "    vendor: " + vendor,
                      "    parameters:"]
            lines += ["      %s: %s" % (k, q(v)) for k, v in params.items()]
            lines.append("      token: ${secret:env:%s}" % SECRET_ENV)
    if spec["runners"]:
        lines.append("step_runners:")
        for name, platform in spec["runners"]:
            lines.append("  - { name: %s, platform: %s, %s"
                         "install_commands_out: runners/%s.sh }" % (
                             q(name), platform,
                             "allow_cluster_management: false, "
                             if platform == "kubernetes" else "", name))
    if spec["workflows"]:
        lines.append("workflows:")
        for name, yaml in spec["workflows"]:
            with open(os.path.join(d, "workflows", name + ".yaml"),
                      "w") as f:
                f.write(yaml)
            lines.append("  - { name: %s, file: workflows/%s.yaml, "
                         "publish: true, tags: [%s] }" % (q(name), name, TAG))
    path = os.path.join(d, "bench.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


VOLATILE = ("id", "created_at", "created_time", "updated_at",
            "last_login_time", "last_used_at", "install_command")


def normalize(ws):
    """A workspace's content without ids and times, comparable between
    two emulators: every field of every object but those, roles by name,
    integration parameters as a digest, workflows with their revisions
    in order and whether the current one is published."""
    roles = {r["id"]: r["name"] for r in ws["roles"]}

    def plain(obj):
        out = {}
        for k, v in obj.items():
            if k in VOLATILE:
                continue
            if k == "role_id":
                k, v = "role", roles.get(v, "?")
            elif k == "parameters":
                v = hashlib.sha256(json.dumps(
                    v, sort_keys=True).encode()).hexdigest()
            elif k in ("current_revision_id", "published_revision_id"):
                ids = [r["id"] for r in obj["revisions"]]
                v = ids.index(v) if v in ids else v
            elif k == "revisions":
                v = [plain(r) for r in v]
            out[k] = v
        return json.dumps(out, sort_keys=True)

    out = {"roles": sorted(r["name"] for r in ws["roles"])}
    for kind in ("api_keys", "users", "claim_mappings", "integrations",
                 "step_runners", "workflows"):
        out[kind] = [plain(o) for o in ws.get(kind, [])]
        if kind != "claim_mappings":           # their order is their rank
            out[kind].sort()
    return out


def compare(a, b, what):
    for kind in a:
        if a[kind] != b[kind]:
            sa, sb = set(a[kind]), set(b[kind])
            only_a = sorted(sa - sb)[:3]
            only_b = sorted(sb - sa)[:3]
            fail("%s: %s differ (%d against %d); only in torq-apply's: %s;"
                 " only in the naive one's: %s" % (
                     what, kind, len(a[kind]), len(b[kind]),
                     only_a, only_b))


# ---------------------------------------------------- emulator throughput

def throughput(args, sim_exe, seconds, users):
    """Pages per second of torq-sim with the rate limit off, serving a
    workspace of users users: the simload program, else a threaded
    Python loop."""
    simload = args.simload
    if not simload:
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        flavour = "sanitize" if os.path.basename(
            os.path.dirname(sim_exe)) == "sanitize" else "default"
        cand = os.path.join(root, "build", flavour, "tests", "sim",
                            "simload")
        simload = cand if os.access(cand, os.X_OK) else None
    if simload:
        r = Run([simload, "--threads", "4", "--seconds", str(seconds),
                 "--users", str(users), sim_exe], None,
                os.environ).check(0)
        m = re.search(r"([0-9]+) requests in ([0-9.]+) s with ([0-9]+) "
                      r"threads: ([0-9]+) req/s", r.stdout)
        if not m:
            fail("simload: unexpected output:\n" + r.stdout + r.stderr)
        return (int(m.group(1)), float(m.group(2)), float(m.group(4)),
                "torq-sim, 4 threads (simload)")
    return py_throughput(sim_exe, seconds, users) + (
        "torq-sim, 4 Python threads",)


def py_throughput(sim_exe, seconds, users):
    import http.client
    work = tempfile.mkdtemp(prefix="torq-bench-load-")
    seed = os.path.join(work, "seed.json")
    with open(seed, "w") as f:
        json.dump({"version": 1, "workspaces": [{
            "name": WORKSPACE, "api_keys": [{"client_id": "load",
                                             "client_secret": "load"}],
            "users": [{"email": OWNER, "role": "Owner"}] + [
                {"email": "user%d@example.com" % k, "role": "Viewer",
                 "sso_provision": k % 10 == 0}
                for k in range(1, users)]}]}, f)
    sim = Sim(sim_exe, seed, work, ["--rate-limit", "0"])
    try:
        naive = Naive(sim.base, "load", "load")
        naive.login()
        port = int(sim.base.rsplit(":", 1)[1])
        counts = [0] * 4
        until = time.monotonic() + seconds

        def worker(k):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            hdr = {"Authorization": "Bearer " + naive.token}
            while time.monotonic() < until:
                c.request("GET", "/v1alpha/users", headers=hdr)
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    counts[k] += 1
            c.close()
        t0 = time.monotonic()
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.monotonic() - t0
        return sum(counts), wall, sum(counts) / wall
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------ main

def fmt_int(n):
    return "{:,}".format(n)


def fmt_s(s):
    return "%.1f s" % s if s >= 10 else "%.2f s" % s


def fmt_mib(kib):
    return "%.0f MiB" % (kib / 1024.0)


def ratio(a, b):
    return a / b if b else float("inf")


def bench(args, tool, sim_exe, work):
    div = 10 if args.quick else 1
    n_users, n_int, n_run, n_wf = 1000 // div, 200 // div, 10 // div, \
        300 // div
    sizes = [n // div for n in (1000, 10000, 100000)]
    n_big = sizes[1]            # the emulator's workspace for throughput
    secret = secrets.token_hex(16)
    key_secret = secrets.token_hex(16)
    SECRETS.extend([secret, key_secret])

    # The organisation: one workspace, Bench, holding only its owner.
    seed = os.path.join(work, "seed.json")
    with open(seed, "w") as f:
        json.dump({"version": 1,
                   "organization": {"name": "Bench Org"},
                   "workspaces": [{
                       "name": WORKSPACE,
                       "api_keys": [{"client_id": "bench-admin",
                                     "client_secret": key_secret}],
                       "users": [{"email": OWNER, "role": "Owner"}]}]}, f)
    key_json = json.dumps({"client_id": "bench-admin",
                           "client_secret": key_secret}) + "\n"

    def project(name, spec):
        d = os.path.join(work, name)
        os.makedirs(d)
        os.mkdir(os.path.join(d, "secrets"), 0o700)
        os.mkdir(os.path.join(d, "runners"), 0o700)
        write_private(os.path.join(d, "secrets", "bench.json"), key_json)
        return d, write_manifest(d, spec)

    spec = spec_of(n_users, n_int, n_run, n_wf)
    large_dir, large = project("large", spec)

    def big_project(n):
        # Users from a generator: a child's peak RSS starts at this
        # script's size when it is forked (ru_maxrss survives the exec).
        return project("big%d" % n, {
            "users": (("user%05d@bench.example" % i, ROLES[i % len(ROLES)])
                      for i in range(n)),
            "integrations": [], "runners": [], "workflows": []})

    sim = Sim(sim_exe, seed, work, ["--latency-ms", str(LATENCY_MS),
                                    "--rate-limit", str(RATE_LIMIT)])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TORQ_")}
    env.update(TORQ_ENDPOINT=sim.base, NO_COLOR="1")
    env[SECRET_ENV] = secret
    label = "large workspace (%su/%si/%sr/%sw)" % (
        fmt_int(n_users), fmt_int(n_int), fmt_int(n_run), fmt_int(n_wf))
    try:
        # apply with torq-apply, from the workspace holding its owner
        step("torq-apply apply of the " + label)
        run, req, mut, _ = measured(sim, lambda: Run(
            [tool, "apply", large, "--yes"], large_dir, env).check(0))
        if "matches the manifest" not in run.stdout:
            fail("torq-apply apply did not converge:\n" + run.stdout[-3000:])
        tool_state = normalize(sim.workspace())
        apply_row = ("apply " + label + " from empty", "torq-apply apply",
                     req, run.wall, run.cpu, run.rss_kib,
                     "%s mutations" % fmt_int(mut))
        apply_mut = mut

        # read: plan of the same manifest, no change
        step("torq-apply plan of the " + label)
        run, req, mut, _ = measured(sim, lambda: Run(
            [tool, "plan", large, "--detailed-exitcode"], large_dir,
            env).check(0))
        if mut:
            fail("torq-apply plan made %d mutations" % mut)
        read_row = ("read  " + label, "torq-apply plan", req, run.wall,
                    run.cpu, run.rss_kib, "no changes")

        # one user's role changed: the change and the list pages
        step("torq-apply apply of one user's new role")
        edited = spec_of(n_users, n_int, n_run, n_wf)
        email, role = edited["users"][1]
        edited["users"][1] = (email, "Viewer" if role != "Viewer"
                              else "Operator")
        with open(large) as f:
            text = f.read()
        edit_path = os.path.join(large_dir, "bench-edit.yaml")
        with open(edit_path, "w") as f:
            f.write(text.replace("{ email: %s, role: %s }" % (
                q(email), q(role)), "{ email: %s, role: %s }" % (
                    q(email), q(edited["users"][1][1]))))
        run, req, mut, _ = measured(sim, lambda: Run(
            [tool, "apply", edit_path, "--yes"], large_dir,
            env).check(0))
        if mut != 1 or "matches the manifest" not in run.stdout:
            fail("one user's edit: %d mutations, expected 1:\n%s" % (
                mut, run.stdout[-3000:]))
        edit_row = ("edit  one user's role in the " + label,
                    "torq-apply apply", req, run.wall, run.cpu,
                    run.rss_kib, "1 mutation; goal <= 25 requests: %s" % (
                        "met" if req <= 25 else "NOT MET"))

        # read the naive way
        step("naive read of the " + label)
        naive = Naive(sim.base, "bench-admin", key_secret)
        got, req, mut, wall = measured(sim, lambda: naive_read(naive))
        counts = (len(got["users"]), len(got["integrations"]),
                  len(got["step_runners"]), len(got["workflows"]))
        if counts != (n_users, n_int, n_run, n_wf) or \
                not all(w["yaml"] for w in got["workflows"]):
            fail("naive read: read %s, expected %s" % (
                counts, (n_users, n_int, n_run, n_wf)))
        naive_read_row = ("read  ... the naive way",
                          "script, one GET at a time", req, wall, None,
                          None, "%s objects" % fmt_int(sum(counts)))

        step("fair read of the " + label)
        fair = Fair(sim.base, "bench-admin", key_secret)
        got, req, mut, wall = measured(sim, lambda: fair_read(fair))
        if len(got["workflows"]) != n_wf or len(got["users"]) != n_users:
            fail("fair read: %d users, %d workflows" % (
                len(got["users"]), len(got["workflows"])))
        fair_read_row = ("read  ... a fair script",
                         "%d threads, pages of 100" % FAIR_THREADS, req,
                         wall, None, None, "%s objects" % fmt_int(
                             n_users + n_int + n_run + n_wf))

        # apply the naive way, from the seed again
        step("naive apply of the " + label)
        sim.ctl("POST", "/reset")
        if len(sim.workspace()["users"]) != 1:
            fail("torq-sim reset did not restore the seed")
        rundir = os.path.join(work, "naive-runners")
        os.mkdir(rundir, 0o700)
        naive = Naive(sim.base, "bench-admin", key_secret)
        _, req, mut, wall = measured(
            sim, lambda: naive_apply(naive, spec, secret, rundir))
        compare(tool_state, normalize(sim.workspace()),
                "after the naive apply")
        naive_apply_row = ("apply ... the naive way",
                           "script, one request at a time", req, wall,
                           None, None,
                           "%s mutations, same state" % fmt_int(mut))

        step("fair apply of the " + label)
        sim.ctl("POST", "/reset")
        rundir = os.path.join(work, "fair-runners")
        os.mkdir(rundir, 0o700)
        fair = Fair(sim.base, "bench-admin", key_secret)
        _, req, mut, wall = measured(
            sim, lambda: fair_apply(fair, spec, secret, rundir))
        compare(tool_state, normalize(sim.workspace()),
                "after the fair apply")
        fair_apply_row = ("apply ... a fair script",
                          "%d threads" % FAIR_THREADS, req, wall, None,
                          None, "%s mutations, same state" % fmt_int(mut))

        # manifests of growing size: validate alone, then plan
        scale = []
        for n in sizes:
            big_dir, big = big_project(n)
            step("validate and plan of a %s-user manifest" % fmt_int(n))
            sim.ctl("POST", "/reset")
            run = Run([tool, "validate", big], big_dir, env).check(0)
            scale.append(("validate %s-user manifest" % fmt_int(n),
                          "torq-apply validate", 0, run.wall, run.cpu,
                          run.rss_kib, "valid"))
            run, req, mut, _ = measured(sim, lambda: Run(
                [tool, "plan", big, "--detailed-exitcode"], big_dir,
                env).check(2))
            m = re.search(r"Plan: ([0-9]+) to add, ([0-9]+) to change, "
                          r"([0-9]+) to destroy", run.stdout)
            if not m or int(m.group(1)) != n or mut:
                fail("plan of the %d-user manifest: expected %d to add:"
                     "\n%s" % (n, n, run.stdout[-2000:]))
            scale.append(("plan  %s-user manifest (load+validate+plan)"
                          % fmt_int(n), "torq-apply plan", req, run.wall,
                          run.cpu, run.rss_kib, "%s to add" % fmt_int(n)))
    finally:
        sim.stop()

    step("torq-sim throughput, a %s-user workspace" % fmt_int(n_big))
    n, wall, rps, who = throughput(args, sim_exe, 1 if args.quick else 3,
                                   n_big)
    sim_row = ("emulator throughput, %s users (rate limit off)"
               % fmt_int(n_big), who, n, wall, None, None,
               "{:,.0f} pages/s (goal {:,}: {})".format(
                   rps, PAGES_GOAL,
                   "met" if rps >= PAGES_GOAL else "not met"))

    # the floor: mutations at the documented 50 per second
    floor = apply_mut / float(RATE_LIMIT)
    extra = {"edit": edit_row, "floor": floor, "apply_mut": apply_mut}
    return [read_row, naive_read_row, fair_read_row, apply_row,
            naive_apply_row, fair_apply_row, edit_row] + scale + \
        [sim_row], sizes, extra


def step(what):
    sys.stderr.write("bench: %s...\n" % what)
    sys.stderr.flush()


# Goals for CPU and memory of load+validate+plan: (users, CPU s, RSS KiB).
GOALS = ((10000, 0.1, None), (100000, 1.0, 300 * 1024))


def print_scaling(rows, sizes):
    """CPU growth for each tenfold size, and the goals beside the
    measurements."""
    by = {}
    for w, t, req, wall, cpu, rss, res in rows:
        m = re.match(r"(validate|plan) +([0-9,]+)-user", w)
        if m:
            by[(m.group(1), int(m.group(2).replace(",", "")))] = (cpu, rss)
    print()
    print("growth of CPU time for 10x the users (about 10 is linear, "
          "about 100 quadratic):")
    for what in ("validate", "plan"):
        steps = []
        for a, b in zip(sizes, sizes[1:]):
            steps.append("%s -> %s users x%.1f" % (
                fmt_int(a), fmt_int(b),
                ratio(by[(what, b)][0], by[(what, a)][0])))
        print("  %-8s  %s" % (what, "; ".join(steps)))
    print("goals for load+validate+plan:")
    for n, cpu_goal, rss_goal in GOALS:
        goal = "%s users under %.0f ms CPU%s" % (
            fmt_int(n), cpu_goal * 1000,
            " and %s peak" % fmt_mib(rss_goal) if rss_goal else "")
        got = by.get(("plan", n))
        if not got:
            print("  %-50s  not measured at this size (--quick)" % goal)
            continue
        met = got[0] < cpu_goal and (not rss_goal or got[1] < rss_goal)
        print("  %-50s  %.0f ms CPU, %s peak: %s" % (
            goal, got[0] * 1000, fmt_mib(got[1]),
            "met" if met else "NOT MET"))


def print_table(rows, sizes, quick, extra):
    head = ("workload", "tool", "requests", "wall", "cpu", "peak RSS",
            "result")
    cells = [head]
    for w, t, req, wall, cpu, rss, res in rows:
        cells.append((w, t, fmt_int(req), fmt_s(wall),
                      "-" if cpu is None else fmt_s(cpu),
                      "-" if rss is None else fmt_mib(rss), res))
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    right = (False, False, True, True, True, True, False)
    print("torq-apply bench%s: torq-sim with %d ms latency on every API "
          "request and --rate-limit %d;" % (" (--quick, sizes / 10)"
                                            if quick else "", LATENCY_MS,
                                            RATE_LIMIT))
    print("torq-apply with its defaults (--parallel 8, --rate-limit 50, "
          "adaptive); requests counted by torq-sim")
    print()
    for k, r in enumerate(cells):
        print("  ".join(c.rjust(widths[i]) if right[i] else
                        c.ljust(widths[i])
                        for i, c in enumerate(r)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))
    read, nread, fread, apply_, napply, fapply = rows[:6]
    plan = [r for r in rows if r[0].startswith("plan ")][1]
    n_big = sizes[1]

    def versus(tool_row, naive_row):
        rq = ratio(naive_row[2], tool_row[2])
        if rq >= 1.05:
            reqs = "%.1fx fewer requests" % rq
        elif rq <= 0.95:
            reqs = "%.1fx more requests" % (1 / rq)
        else:
            reqs = "about as many requests"
        return "%s, %.1fx faster" % (reqs, ratio(naive_row[3],
                                                 tool_row[3]))
    print()
    print("ratios: read %s against the naive script, %s against the fair "
          "one; apply %s against the naive script, %s against the fair "
          "one; plan of %s users in %.0f ms CPU, %s peak" % (
              versus(read, nread), versus(read, fread),
              versus(apply_, napply), versus(apply_, fapply),
              fmt_int(n_big), plan[4] * 1000, fmt_mib(plan[5])))
    at = apply_[3] / extra["floor"] if extra["floor"] else 0
    print("apply from empty: %.1f s for %s mutations, %.2fx the floor of "
          "%.1f s at %d requests per second (goal 1.1x: %s); the fair "
          "script %.2fx" % (apply_[3], fmt_int(extra["apply_mut"]), at,
                            extra["floor"], RATE_LIMIT,
                            "met" if at <= 1.1 else "NOT MET",
                            fapply[3] / extra["floor"]
                            if extra["floor"] else 0))
    print("one user's new role: %s requests (goal at most 25: %s)" % (
        fmt_int(extra["edit"][2]),
        "met" if extra["edit"][2] <= 25 else "NOT MET"))
    print_scaling(rows, sizes)


def main():
    ap = argparse.ArgumentParser(
        description="make bench: torq-apply against the naive way, "
        "one table")
    ap.add_argument("torq_apply")
    ap.add_argument("torq_sim")
    ap.add_argument("--quick", action="store_true",
                    help="every size divided by 10 (a CI smoke run)")
    ap.add_argument("--simload", metavar="PATH",
                    help="tests/sim/simload (default: build/default/...)")
    args = ap.parse_args()
    tool = os.path.abspath(args.torq_apply)
    sim_exe = os.path.abspath(args.torq_sim)
    for exe in (tool, sim_exe):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s is not an executable (make all)" % exe)

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    work = tempfile.mkdtemp(prefix="torq-bench-")
    t0 = time.monotonic()
    try:
        rows, sizes, extra = bench(args, tool, sim_exe, work)
    except BenchError as e:
        sys.stderr.write("bench: %s\n" % e)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows, sizes, args.quick, extra)
    sys.stdout.flush()
    sys.stderr.write("bench: done in %.0f s\n" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
