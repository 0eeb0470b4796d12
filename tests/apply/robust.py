#!/usr/bin/python3
"""apply under faults and crashes, against a real torq-sim.

usage: robust.py TORQ_APPLY TORQ_SIM [SEEDS]

For each seed:
- faults: 429, 502, 503 and dropped connections at a 20% rate, tokens
  expiring at 20%, and 5% of requests done but their answers lost; apply
  is run until it succeeds (at most 10 times);
- crash: every request 25 ms late, apply is killed with SIGKILL a seeded
  delay after the new workspace's key was saved (before that the key
  exists only in Torq's answer, which no retry can bring back), then run
  again without faults (at most 3 times: a
  request in flight at the crash may land after the next run has read
  the workspace, and that run then reports the conflict).
- kills between a runner's creation and its file (torq-sim holds the
  answer back, latency_after): SIGKILL and two SIGTERMs leave a runner
  the next plan shows as "install command never delivered", apply fails
  naming it, `apply --replace step_runner:NAME` mends it; one SIGTERM
  lets the step finish and write the file (apply exits 1, stopped);
- step times: one slow request with --parallel 1, and only its step
  shows the time, the others show their wait apart;
- two machines (two copies of the tree, so no shared lock) applying one
  edit at once duplicate what it adds; the plan shows each copy as a
  problem naming --dedupe, apply fails, `apply --dedupe` keeps the
  oldest copies and converges; copies that differ are refused.
After each, a plan must show no changes and torq-sim's state must hold no
duplicate user, invitation, claim mapping, integration, step runner or
workflow. Prints one line per run; exits 1 on the first failure.
"""
import fcntl
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402

MANIFEST = "manifests/examples/single-workspace.yaml"


def http(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        text = r.read()
    return json.loads(text) if text else None


def duplicates(state):
    problems = []
    rules = (("users", lambda o: o["email"].lower()),
             ("claim_mappings",
              lambda o: (o["claim_name"], o["claim_value"])),
             ("integrations", lambda o: o["display_name"]),
             ("step_runners", lambda o: o["display_name"]),
             ("workflows", lambda o: o["name"]))
    names = [w["name"].lower() for w in state["workspaces"]]
    if len(names) != len(set(names)):
        problems.append("duplicate workspaces: %s" % names)
    for ws in state["workspaces"]:
        for kind, key in rules:
            seen = {}
            for o in ws.get(kind, []):
                k = key(o)
                seen[k] = seen.get(k, 0) + 1
            dup = [k for k, n in seen.items() if n > 1]
            if dup:
                problems.append("workspace %s: duplicate %s: %s" %
                                (ws["name"], kind, dup))
    return problems


class Run:
    def __init__(self, tool, sim, root, sim_args=()):
        self.tool, self.sim, self.root = tool, sim, root
        self.work = tempfile.mkdtemp(prefix="torq-robust-")
        shipped.copy_tree(root, "manifests", self.work)
        os.mkdir(os.path.join(self.work, "secrets"), 0o700)
        key = os.path.join(self.work, "secrets", "template.json")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b'{"client_id": "sim-admin", '
                 b'"client_secret": "sim-admin-secret"}\n')
        os.close(fd)
        self.proc = subprocess.Popen([sim, "--port", "0"] + list(sim_args),
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.base = re.search(r"http://127\.0\.0\.1:[0-9]+", line).group(0)
        self.env = dict(os.environ, TORQ_ENDPOINT=self.base,
                        SLACK_WEBHOOK="https://hooks.example/S3cret",
                        JIRA_TOKEN="jira-S3cret")
        self.env.pop("TORQ_CLIENT_ID", None)
        self.env.pop("TORQ_CLIENT_SECRET", None)

    def torq(self, *args, wait=True, cwd=None):
        cmd = [self.tool] + list(args) + [
            "--credentials", "secrets/template.json"]
        p = subprocess.Popen(cmd, cwd=cwd or self.work, env=self.env,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if not wait:
            return p
        out, err = p.communicate(timeout=600)
        return p.returncode, out.decode(), err.decode()

    def check(self, label):
        http(self.base, "DELETE", "/_sim/faults")
        rc, out, err = self.torq("plan", MANIFEST, "--detailed-exitcode")
        if rc != 0:
            return "%s: a plan after apply is not empty (exit %d):\n%s%s" % (
                label, rc, out, err)
        dups = duplicates(http(self.base, "GET", "/_sim/state"))
        if dups:
            return "%s: %s" % (label, "; ".join(dups))
        for secret in ("S3cret",):
            for top, _, names in os.walk(self.work):
                for n in names:
                    with open(os.path.join(top, n), "rb") as f:
                        if secret.encode() in f.read():
                            return "%s: a secret in %s" % (label, n)
        return None

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def faults(run, seed):
    http(run.base, "POST", "/_sim/faults", {"seed": seed, "rules": [
        {"route": "*", "kind": "chaos", "rate": 0.2},
        {"route": "*", "kind": "expire_token", "rate": 0.2},
        {"route": "*", "kind": "drop_after", "rate": 0.05}]})
    replace = []
    for attempt in range(1, 11):
        rc, out, err = run.torq("apply", MANIFEST, "--yes", *replace)
        if rc == 0:
            break
        # an answer with an install command lost (drop_after) is reported;
        # --replace (under the same faults) makes a new one
        replace = []
        for name in sorted(set(LOST.findall(out + err))):
            replace += ["--replace", "step_runner:" + name]
        for line in out.splitlines() + err.splitlines():
            if ": failed: " in line or line.startswith("torq-apply: ") \
               and "journal" not in line and "note:" not in line:
                print("  run %d: %s" % (attempt, line))
        if "Traceback" in err or "AddressSanitizer" in err:
            return "faults seed %d: %s" % (seed, err)
    else:
        return "faults seed %d: apply never succeeded:\n%s" % (seed, err)
    problem = run.check("faults seed %d" % seed)
    if not problem:
        print("PASS apply under faults, seed %d (%d run%s)" %
              (seed, attempt, "" if attempt == 1 else "s"))
    return problem


def crash(run, seed):
    rnd = random.Random(seed)
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": "*", "kind": "latency", "latency_ms": 25, "every": 1}]})
    p = run.torq("apply", MANIFEST, "--yes", wait=False)
    # The new workspace's key exists only in the create answer (Torq shows
    # it once): a crash before it is saved cannot be undone by any tool,
    # and apply then says what to do. The kill comes after that moment.
    key = os.path.join(run.work, "secrets", "acme.json")
    for _ in range(500):
        if os.path.exists(key) or p.poll() is not None:
            break
        time.sleep(0.01)
    time.sleep(rnd.uniform(0.0, 1.0))
    p.send_signal(signal.SIGKILL)
    p.communicate()
    # what was in flight when it died lands now, as it would in Torq
    time.sleep(0.3)
    http(run.base, "DELETE", "/_sim/faults")
    # a kill between a runner's creation and its file is reported, and
    # --replace mends it (recover)
    problem = recover(run, "crash seed %d" % seed)
    if problem:
        return problem
    problem = run.check("crash seed %d" % seed)
    if not problem:
        print("PASS apply after SIGKILL, seed %d" % seed)
    return problem


RUNNER_ROUTE = "POST /v1alpha/step_runners"
# a runner whose install command reached no file: reported by the plan,
# or by the step that finds the runner made but its answer lost
LOST = re.compile(r"step runner '([^']+)'(?:: install command never "
                  r"delivered| exists, but its install command never "
                  r"arrived)")


def runners(run):
    """The step runners of workspace 'acme SOC': name -> id."""
    for ws in http(run.base, "GET", "/_sim/state")["workspaces"]:
        if ws["name"] == "acme SOC":
            return {r["display_name"]: r["id"]
                    for r in ws.get("step_runners", [])}
    return {}


def recover(run, label):
    """apply until it converges, replacing runners it reports lost."""
    replace = []
    for attempt in range(1, 7):
        rc, out, err = run.torq("apply", MANIFEST, "--yes", *replace)
        if rc == 0:
            return None
        replace = []
        for name in sorted(set(LOST.findall(out + err))):
            replace += ["--replace", "step_runner:" + name]
    return "%s: apply never converged:\n%s%s" % (label, out, err)


def kill_in_runner_window(run, signals):
    """Start apply, and send signals once the first runner exists in
    torq-sim but its answer (with the install command) is held back."""
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": RUNNER_ROUTE, "kind": "latency_after",
         "latency_ms": 3000, "count": 1}]})
    p = run.torq("apply", MANIFEST, "--yes", "--parallel", "1", wait=False)
    made = {}
    for _ in range(3000):
        made = runners(run)
        if made or p.poll() is not None:
            break
        time.sleep(0.01)
    if not made:
        p.kill()
        p.communicate()
        return None, None, "no runner was created"
    for sig in signals:
        p.send_signal(sig)
        time.sleep(0.05)
    out, err = p.communicate(timeout=120)
    time.sleep(0.3)
    http(run.base, "DELETE", "/_sim/faults")
    name = list(made)[0]
    return name, (p.returncode, out.decode(), err.decode()), None


def mode_of(run, name):
    path = os.path.join(run.work, "runners", name + ".sh")
    return os.stat(path).st_mode & 0o777 if os.path.exists(path) else None


def runner_lost(run, signals, label):
    """A kill between a runner's creation and its file: the next plan
    shows the loss, apply fails naming it, --replace mends it."""
    name, _, why = kill_in_runner_window(run, signals)
    if why:
        return "%s: %s" % (label, why)
    old_id = runners(run)[name]
    rc, out, err = run.torq("plan", MANIFEST)
    want = "! step runner '%s': install command never delivered" % name
    if want not in out:
        return "%s: the plan does not show %r:\n%s%s" % (label, want,
                                                          out, err)
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    if rc == 0 or ("step runner '%s'" % name) not in err:
        return "%s: apply exits %d and does not name runner %s:\n%s" % (
            label, rc, name, err)
    replace = []
    for lost in sorted(set(LOST.findall(out + err))):
        replace += ["--replace", "step_runner:" + lost]
    rc, out, err = run.torq("apply", MANIFEST, "--yes", *replace)
    if rc != 0:
        return "%s: apply --replace failed:\n%s%s" % (label, out, err)
    if mode_of(run, name) != 0o600 or runners(run).get(name) in (None,
                                                                 old_id):
        return "%s: no new runner with a 0600 install command file" % label
    rc, out, err = run.torq("plan", MANIFEST, "--detailed-exitcode")
    if rc != 0 or "!" in out.split("\n")[0]:
        return "%s: not converged after --replace:\n%s%s" % (label, out,
                                                               err)
    return run.check(label)


def runner_sigkill(run, seed):
    label = "SIGKILL between a runner's creation and its file"
    problem = runner_lost(run, [signal.SIGKILL], label)
    if not problem:
        print("PASS " + label)
    return problem


def runner_sigterm_twice(run, seed):
    label = "two SIGTERMs between a runner's creation and its file"
    problem = runner_lost(run, [signal.SIGTERM, signal.SIGTERM], label)
    if not problem:
        print("PASS " + label)
    return problem


def runner_sigterm(run, seed):
    """One SIGTERM: the runner's step finishes (its file is written),
    no other step starts, apply exits 1 saying so; then it converges."""
    label = "SIGTERM between a runner's creation and its file"
    name, res, why = kill_in_runner_window(run, [signal.SIGTERM])
    if why:
        return "%s: %s" % (label, why)
    rc, out, err = res
    if rc != 1 or "stopped by SIGTERM" not in err:
        return "%s: apply exits %d:\n%s%s" % (label, rc, out, err)
    if mode_of(run, name) != 0o600:
        return "%s: no install command file (mode 0600) for %s:\n%s%s" % (
            label, name, out, err)
    rc, out, err = run.torq("plan", MANIFEST)
    if "install command never delivered" in out:
        return "%s: the plan reports a loss:\n%s" % (label, out)
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    if rc != 0:
        return "%s: apply after it failed:\n%s%s" % (label, out, err)
    problem = run.check(label)
    if not problem:
        print("PASS " + label)
    return problem


STEP_LINE = re.compile(r"^\[\d+/\d+\] \S (\S+) (.*): done "
                       r"\(([0-9.]+) s(?:, ([0-9.]+) s waiting)?\)$")


def step_times(run, seed):
    """A step's time is its requests' time: one slow invitation with one
    request in flight makes the others wait, and they say so apart."""
    label = "step times without the queue wait"
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": "POST /v1alpha/users/invite", "kind": "latency",
         "latency_ms": 1500, "count": 1}]})
    rc, out, err = run.torq("apply", MANIFEST, "--yes", "--parallel", "1")
    http(run.base, "DELETE", "/_sim/faults")
    if rc != 0:
        return "%s: apply failed:\n%s%s" % (label, out, err)
    slow = waited = 0
    for line in out.splitlines():
        m = STEP_LINE.match(line)
        if not m:
            continue
        kind, request = m.group(1), float(m.group(3))
        if request >= 1.5:
            slow += 1
            if kind != "invite_user":
                return "%s: %r counts time it did not spend in " \
                    "requests" % (label, line)
        if m.group(4) and float(m.group(4)) >= 1.0:
            waited += 1
    if slow != 1 or not waited:
        return "%s: %d slow steps, %d that waited:\n%s" % (label, slow,
                                                           waited, out)
    print("PASS " + label)
    return None


RACE = """version: 1
extends: single-workspace.yaml
claim_mappings:
  items:
    - { claim: groups, value: newgroup, role: Viewer }
workflows:
  - { name: NewFlow, file: workflows/offboarding.yaml, publish: false }
"""
RACE_MANIFEST = "manifests/examples/race.yaml"


def race_setup(run):
    """The workspace as the example makes it, then an edit to apply."""
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    if rc != 0:
        return "the first apply failed (exit %d): %s%s" % (rc, out, err)
    with open(os.path.join(run.work, RACE_MANIFEST), "w") as f:
        f.write(RACE)
    # Slow enough that two runs overlap from their reads to their writes.
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": "*", "kind": "latency", "latency_ms": 40, "every": 1}]})
    return None


def race(run, seed):
    """Two applies of one edit at once: one waits for the other, and
    neither duplicates what the other made."""
    why = race_setup(run)
    if why:
        return "race: " + why
    a = run.torq("apply", RACE_MANIFEST, "--yes", wait=False)
    b = run.torq("apply", RACE_MANIFEST, "--yes", wait=False)
    (oa, ea), (ob, eb) = a.communicate(timeout=300), b.communicate(timeout=300)
    text = (oa + ea + ob + eb).decode()
    if a.returncode or b.returncode:
        return "race: an apply failed (exit %d and %d):\n%s" % (
            a.returncode, b.returncode, text)
    if "waiting for it to finish" not in text:
        return "race: neither apply waited for the other:\n" + text
    dups = duplicates(http(run.base, "GET", "/_sim/state"))
    if dups:
        return "race: " + "; ".join(dups)
    rc, out, err = run.torq("plan", RACE_MANIFEST, "--detailed-exitcode")
    if rc != 0:
        return "race: a plan afterwards is not empty (exit %d): %s%s" % (
            rc, out, err)
    return None


def race_lock_timeout(run, seed):
    """--lock-timeout 0 gives up at once while another apply holds the
    workspace, naming it, and changes nothing."""
    why = race_setup(run)
    if why:
        return "lock-timeout: " + why
    locks = os.path.join(run.work, "manifests/examples/.torq-apply/locks")
    a = run.torq("apply", RACE_MANIFEST, "--yes", wait=False)
    for _ in range(500):
        held = [n for n in (os.listdir(locks) if os.path.isdir(locks)
                            else []) if os.path.getsize(
                                os.path.join(locks, n))]
        if held or a.poll() is not None:
            break
        time.sleep(0.01)
    before = http(run.base, "GET", "/_sim/stats")["mutations_total"]
    rc, out, err = run.torq("apply", RACE_MANIFEST, "--yes",
                            "--lock-timeout", "0")
    a.communicate(timeout=300)
    if not held:
        return "lock-timeout: the first apply never held its lock"
    if rc != 1 or "is being changed by pid %d " % a.pid not in err:
        return ("lock-timeout: the second apply did not give up naming "
                "the first (exit %d): %s%s" % (rc, out, err))
    if "Apply complete" in out:
        return "lock-timeout: the second apply ran steps: " + out
    dups = duplicates(http(run.base, "GET", "/_sim/state"))
    if dups or before > http(run.base, "GET", "/_sim/stats")[
            "mutations_total"]:
        return "lock-timeout: " + "; ".join(dups)
    return None


def fleet_lock(run, seed):
    """fleet apply: a client whose workspace another process holds fails
    alone, naming the holder; the other clients are applied."""
    fleet = "manifests/examples/fleet/fleet.yaml"
    locks = os.path.join(run.work, "manifests/examples/fleet/.torq-apply",
                         "fleet", "globex", ".torq-apply", "locks")
    rc, out, err = run.torq("fleet", "apply", fleet, "--yes", "--only",
                            "globex")
    if rc != 0:
        return "fleet-lock: the globex apply failed:\n%s%s" % (out, err)
    name = os.listdir(locks)[0]
    with open(os.path.join(locks, name), "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write("4242 ci-runner-7 2026-12-04T04:00:00Z\n")
        f.flush()
        rc, out, err = run.torq("fleet", "apply", fleet, "--yes",
                                "--lock-timeout", "0")
    text = out + err
    if rc != 1 or "is being changed by pid 4242 on ci-runner-7 since " \
            "2026-12-04T04:00:00Z" not in text:
        return "fleet-lock: globex did not fail naming the holder " \
            "(exit %d):\n%s" % (rc, text)
    state = http(run.base, "GET", "/_sim/state")
    names = [w["name"] for w in state["workspaces"]]
    if "acme SOC" not in names or "initech SOC" not in names:
        return "fleet-lock: the other clients were not applied: %s" % names
    dups = duplicates(state)
    return "fleet-lock: " + "; ".join(dups) if dups else None


def confirm_fails(run, seed):
    """apply exits 1 when the read that confirms it fails."""
    why = race_setup(run)
    if why:
        return "confirm: " + why
    http(run.base, "DELETE", "/_sim/faults")
    # the edit adds a claim mapping: the plan lists the workspace's and
    # the source's, the confirmation (which reads the kinds changed,
    # and reuses the source's) the workspace's again, refused with a 400
    # (never retried)
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": "GET /v1alpha/sso/claim_mappings", "kind": "status",
         "status": 400, "nth": 3, "count": 1}]})
    rc, out, err = run.torq("apply", RACE_MANIFEST, "--yes")
    if rc != 1 or "could not read the workspace again to confirm" not in err:
        return ("confirm: apply did not fail when its confirming read did "
                "(exit %d): %s%s" % (rc, out, err))
    if "matches the manifest" in out:
        return "confirm: apply said the workspace matches: " + out
    return None


def no_core_dumps(run, seed):
    """A command holding secrets can write no core file: its core size
    limit is 0, soft and hard, whatever the shell allowed."""
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": "*", "kind": "latency", "latency_ms": 300, "every": 1}]})
    p = subprocess.Popen(
        ["bash", "-c", "ulimit -c unlimited && exec \"$0\" \"$@\"",
         run.tool, "plan", MANIFEST, "--credentials",
         "secrets/template.json"], cwd=run.work, env=run.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    limits = ""
    for _ in range(200):
        try:
            with open("/proc/%d/limits" % p.pid) as f:
                limits = f.read()
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                if run.tool.encode() in f.read():
                    break
        except OSError:
            break
        time.sleep(0.01)
    time.sleep(0.2)
    try:
        with open("/proc/%d/limits" % p.pid) as f:
            limits = f.read()
    except OSError:
        pass
    p.communicate(timeout=120)
    core = [l for l in limits.splitlines() if l.startswith("Max core")]
    if not core or core[0].split()[4:6] != ["0", "0"]:
        return "core dumps: a running plan allows them: %s" % (core or limits)
    return None


DEDUPE = """version: 1
extends: single-workspace.yaml
claim_mappings:
  items:
    - { claim: groups, value: newgroup, role: Viewer }
integrations:
  - name: New Hook
    vendor: webhook
workflows:
  - { name: NewFlow, file: workflows/offboarding.yaml, publish: true,
      tags: [new] }
"""
DEDUPE_MANIFEST = "manifests/examples/dedupe.yaml"


def acme_state(run):
    for ws in http(run.base, "GET", "/_sim/state")["workspaces"]:
        if ws["name"] == "acme SOC":
            return ws
    return {}


def copies(ws):
    """name -> ids of its copies, oldest first, for what DEDUPE adds."""
    out = {}
    for kind, key, when in (("workflows", "name", "created_at"),
                            ("integrations", "display_name", "created_at")):
        for o in sorted(ws.get(kind, []), key=lambda o: o[when]):
            if o[key] in ("NewFlow", "New Hook"):
                out.setdefault(o[key], []).append(o["id"])
    for o in ws.get("claim_mappings", []):     # in rank order
        if o["claim_value"] == "newgroup":
            out.setdefault("groups=newgroup", []).append(o["id"])
    return out


def two_machines(run):
    """The example applied, the edit written, and a second copy of the
    tree: another CI runner, with its own lock and state."""
    why = race_setup(run)
    if why:
        return None, why
    with open(os.path.join(run.work, DEDUPE_MANIFEST), "w") as f:
        f.write(DEDUPE)
    other = run.work + "-other"
    shutil.copytree(run.work, other, symlinks=True)
    # both runs read before either writes
    http(run.base, "POST", "/_sim/faults", {"rules": [
        {"route": "*", "kind": "latency", "latency_ms": 120, "every": 1}]})
    a = run.torq("apply", DEDUPE_MANIFEST, "--yes", wait=False)
    b = run.torq("apply", DEDUPE_MANIFEST, "--yes", wait=False, cwd=other)
    text = b"".join(a.communicate(timeout=300) + b.communicate(timeout=300))
    http(run.base, "DELETE", "/_sim/faults")
    if b"Traceback" in text or b"Sanitizer" in text:
        return other, text.decode()
    made = copies(acme_state(run))
    if sorted(len(v) for v in made.values()) != [2, 2, 2]:
        return other, "the race made no duplicates to mend: %s\n%s" % (
            made, text.decode())
    return other, None


def dedupe(run, seed):
    """Duplicates made by two machines at once: shown, refused by a plain
    apply, mended by apply --dedupe keeping the oldest copies."""
    other, why = two_machines(run)
    try:
        if why:
            return "dedupe: " + why
        before = copies(acme_state(run))
        rc, out, err = run.torq("plan", DEDUPE_MANIFEST,
                                "--detailed-exitcode")
        for line in ("! workflow 'NewFlow': 2 identical copies",
                     "! integration 'New Hook': 2 identical copies",
                     "! claim mapping 'groups=newgroup': 2 identical",
                     "(apply --dedupe keeps the oldest and deletes the "
                     "newer copy)"):
            if line not in out:
                return "dedupe: the plan does not show %r (exit %d):\n%s%s" \
                    % (line, rc, out, err)
        if rc != 2:
            return "dedupe: plan --detailed-exitcode exit %d, not 2" % rc
        rc, out, err = run.torq("apply", DEDUPE_MANIFEST, "--yes")
        if rc != 1 or "'apply --dedupe' keeps the oldest" not in err:
            return "dedupe: a plain apply did not fail naming --dedupe " \
                "(exit %d):\n%s%s" % (rc, out, err)
        rc, out, err = run.torq("apply", DEDUPE_MANIFEST, "--yes",
                                "--dedupe")
        if rc != 0 or "matches the manifest" not in out:
            return "dedupe: apply --dedupe failed (exit %d):\n%s%s" % (
                rc, out, err)
        after = copies(acme_state(run))
        kept = {k: v[:1] for k, v in before.items()}
        if after != kept:
            return "dedupe: not the oldest copies kept: %s, not %s" % (
                after, kept)
        if duplicates(http(run.base, "GET", "/_sim/state")):
            return "dedupe: duplicates left"
        for where in (None, other):
            rc, out, err = run.torq("plan", DEDUPE_MANIFEST,
                                    "--detailed-exitcode", cwd=where)
            if rc != 0:
                return "dedupe: a plan afterwards is not empty (exit %d):" \
                    "\n%s%s" % (rc, out, err)
        return None
    finally:
        if other:
            shutil.rmtree(other, ignore_errors=True)


def dedupe_differs(run, seed):
    """A copy that differs from the oldest (a tag added to it by hand) is
    never deleted: the plan is refused naming what differs."""
    other, why = two_machines(run)
    try:
        if why:
            return "dedupe differs: " + why
        ws = acme_state(run)
        newer = copies(ws)["NewFlow"][1]
        with open(os.path.join(run.work, "secrets", "acme.json")) as f:
            key = json.load(f)
        req = urllib.request.Request(
            run.base + "/v1/auth/token", data=b"grant_type=client_credentials",
            method="POST")
        import base64
        req.add_header("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (key["client_id"], key["client_secret"])).encode()
        ).decode())
        with urllib.request.urlopen(req) as r:
            tok = json.loads(r.read())["access_token"]
        req = urllib.request.Request(
            run.base + "/v1alpha/workflows/%s/tags" % newer,
            data=b'{"name": "by-hand"}', method="POST")
        req.add_header("Authorization", "Bearer " + tok)
        req.add_header("Content-Type", "application/json")
        urllib.request.urlopen(req).read()
        mutations = http(run.base, "GET", "/_sim/stats")["mutations_total"]
        rc, out, err = run.torq("apply", DEDUPE_MANIFEST, "--yes",
                                "--dedupe")
        if rc != 1 or "2 workflows named 'NewFlow' that differ (tags)" \
                not in err:
            return "dedupe differs: apply --dedupe was not refused " \
                "(exit %d):\n%s%s" % (rc, out, err)
        if http(run.base, "GET", "/_sim/stats")["mutations_total"] != \
                mutations:
            return "dedupe differs: the refused apply changed the workspace"
        return None
    finally:
        if other:
            shutil.rmtree(other, ignore_errors=True)


SHARED = """version: 1
extends: single-workspace.yaml
integrations:
  - name: Shared Alerts
    vendor: slack
    parameters:
      bot_token: not-this-one
"""
SHARED_MANIFEST = "manifests/examples/shared.yaml"


def shared_in(run, seed):
    """An integration shared into the workspace by another is used, never
    changed or pruned: a plan naming it with parameters warns and has no
    step for it; --prune keeps it, saying why."""
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    if rc != 0:
        return "shared: the first apply failed (exit %d): %s%s" % (
            rc, out, err)
    tmpl = [w for w in http(run.base, "GET", "/_sim/state")["workspaces"]
            if w["name"] == "Template"][0]
    name = tmpl["integrations"][0]["display_name"]
    http(run.base, "POST", "/_sim/share", {"from": "Template",
                                           "integration": name,
                                           "to": "acme SOC"})
    before = http(run.base, "GET", "/_sim/stats")["mutations_total"]
    rc, out, err = run.torq("apply", MANIFEST, "--yes", "--prune")
    want = "integration '%s' (shared into this workspace: never changed " \
        "or pruned here)" % name
    if rc != 0 or want not in out:
        return "shared: apply --prune did not keep the shared " \
            "integration (exit %d):\n%s%s" % (rc, out, err)
    if http(run.base, "GET", "/_sim/stats")["mutations_total"] != before:
        return "shared: apply --prune changed the workspace:\n" + out
    with open(os.path.join(run.work, SHARED_MANIFEST), "w") as f:
        f.write(SHARED.replace("Shared Alerts", name))
    rc, out, err = run.torq("plan", SHARED_MANIFEST, "--detailed-exitcode")
    if rc != 0 or "is shared into workspace 'acme SOC' by another " \
            "workspace: it can be used here but not changed" not in err:
        return "shared: a plan naming it did not warn, or has steps " \
            "(exit %d):\n%s%s" % (rc, out, err)
    return None


REVISION_ROUTE = "GET /v1alpha/workflows/{id}/revisions/{rev}"


def revision_reads(run):
    return http(run.base, "GET", "/_sim/stats")["by_route"].get(
        REVISION_ROUTE, 0)


def confirm_reads(run, seed):
    """apply's confirmation reads the lists of the kinds it changed and no
    workflow's YAML (the revision Torq shows must be the one the update
    made, whose digest was recorded); --confirm=full reads every one."""
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    if rc != 0:
        return "confirm reads: the first apply failed (exit %d): %s%s" % (
            rc, out, err)
    # the source workspace's YAML is read once per run (what a no-op
    # apply reads: the confirmation reuses it); the confirmation adds
    # what it must prove
    before = revision_reads(run)
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    base = revision_reads(run) - before
    path = os.path.join(run.work, "manifests/examples/workflows/"
                        "offboarding.yaml")
    with open(path, "a") as f:
        f.write("# changed\nsteps_note: changed by the test\n")
    before = revision_reads(run)
    lists = http(run.base, "GET", "/_sim/stats")["by_route"].get(
        "GET /v1alpha/integrations", 0)
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    reads = revision_reads(run) - before
    lists = http(run.base, "GET", "/_sim/stats")["by_route"].get(
        "GET /v1alpha/integrations", 0) - lists
    if lists != 1:
        return "confirm reads: the integrations were listed %d times " \
            "for a change of a workflow, not once (by the plan)" % lists
    if rc != 0 or "matches the manifest" not in out:
        return "confirm reads: apply of one changed workflow failed " \
            "(exit %d):\n%s%s" % (rc, out, err)
    # the plan reads the changed workflow's live YAML once, for its diff;
    # the confirmation reads none
    if reads != base + 1:
        return "confirm reads: %d revision reads for one changed " \
            "workflow, not %d + 1 (its diff):\n%s" % (reads, base, out)
    with open(path, "a") as f:
        f.write("another_note: changed again\n")
    before = revision_reads(run)
    rc, out, err = run.torq("apply", MANIFEST, "--yes", "--confirm=full")
    reads = revision_reads(run) - before
    if rc != 0 or reads != base + 1 + 3:
        return "confirm reads: --confirm=full read %d revisions, not " \
            "%d + 1 (the diff) + the 3 workflows (exit %d):\n%s%s" % (
                reads, base, rc, out, err)
    return None


def unrecorded(run, seed):
    """Parameters nothing recorded: on a fresh runner (no state.json) a
    note and no change; in a workspace the state knows (a run died before
    recording), set again."""
    rc, out, err = run.torq("apply", MANIFEST, "--yes")
    if rc != 0:
        return "unrecorded: the first apply failed (exit %d): %s%s" % (
            rc, out, err)
    path = os.path.join(run.work, "manifests/examples/.torq-apply/"
                        "state.json")
    with open(path) as f:
        state = json.load(f)
    ws = state["workspaces"]["acme SOC"]
    name = sorted(ws["integrations"])[0]
    del ws["integrations"][name]
    with open(path, "w") as f:
        json.dump(state, f)
    rc, out, err = run.torq("plan", MANIFEST, "--detailed-exitcode")
    if rc != 2 or "parameters (never set by torq-apply)" not in out:
        return "unrecorded: a record lost in a known workspace is not set " \
            "again (exit %d):\n%s%s" % (rc, out, err)
    os.unlink(path)
    rc, out, err = run.torq("plan", MANIFEST, "--detailed-exitcode")
    if rc != 0 or "parameters not verifiable here" not in out:
        return "unrecorded: a fresh runner's drift check is not empty " \
            "(exit %d):\n%s%s" % (rc, out, err)
    return None


def main():
    tool, sim = (os.path.abspath(a) for a in sys.argv[1:3])
    seeds = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3
                              else "1,2,3").split(",")]
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    for test in (faults, crash):
        for seed in seeds:
            run = Run(tool, sim, root)
            try:
                problem = test(run, seed)
            finally:
                run.close()
            if problem:
                print("FAIL " + problem)
                return 1
    for test in (runner_sigkill, runner_sigterm_twice, runner_sigterm,
                 step_times, race, race_lock_timeout, confirm_fails,
                 fleet_lock, no_core_dumps, shared_in, confirm_reads,
                 unrecorded):
        # reads counted by route: a 429 on a loaded machine would count
        # its retry too
        run = Run(tool, sim, root, ["--rate-limit", "0"]
                  if test is confirm_reads else [])
        try:
            problem = test(run, 0)
        finally:
            run.close()
        if problem:
            print("FAIL " + problem)
            return 1
    # another CI runner is another tree: only --dedupe mends their race
    for test in (dedupe, dedupe_differs):
        run = Run(tool, sim, root, ["--quirks", "duplicate-names"])
        try:
            problem = test(run, 0)
        finally:
            run.close()
        if problem:
            print("FAIL " + problem)
            return 1
        print("PASS " + test.__doc__.split("\n")[0])
    print("robust: %d fault runs and %d crash runs converged" %
          (len(seeds), len(seeds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
