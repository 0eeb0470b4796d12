#!/usr/bin/python3
"""${secret:cmd:...} with a real password store, against a real torq-sim.

A throw-away GnuPG home and key (no passphrase), `pass init`, and a
canary secret per client stored with `pass insert -m`. The example
manifest and the fleet's template read their Slack webhook through
"${secret:cmd:pass show torq/${client}/slack-webhook}" and a token shared
by every client through a script that counts its runs. Then validate,
plan, plan --out, apply of the saved plan, plan again, fleet plan and
fleet apply, all verbose, some with --trace. Checked:
  - each canary reached torq-sim's integration parameters of its own
    workspace;
  - no canary appears in any output, nor in any file the commands wrote
    (plan file, state.json, journal, traces, key files);
  - validate ran no command; every other run ran the shared command once,
    however many clients and reads (the fleet's three clients included);
  - -v names the program found in PATH and shows what the command said
    on stderr, its secret hidden;
  - a command that fails is named with its exit status; without -v the
    error offers -v, with -v it shows what the command said instead.
pass and gpg missing is a failure (`make deps` installs them).

usage: pass.py TORQ_APPLY TORQ_SIM
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402

CLIENTS = ("acme", "globex", "initech")
ORG_SECRET = "sim-admin-secret"


def run(cmd, env, cwd=None, stdin=None):
    p = subprocess.run(cmd, env=env, cwd=cwd, input=stdin,
                       capture_output=True, timeout=120)
    if p.returncode:
        raise RuntimeError("%s exited %d: %s" % (
            " ".join(cmd), p.returncode, p.stderr.decode()[-1000:]))
    return p.stdout.decode()


def make_store(top, canaries):
    """A GnuPG home with a key and a password store holding canaries."""
    gnupg = os.path.join(top, "gnupg")
    os.mkdir(gnupg, 0o700)
    store = os.path.join(top, "store")
    env = dict(os.environ, GNUPGHOME=gnupg, PASSWORD_STORE_DIR=store)
    run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
         "torq test <t@example.invalid>", "default", "default", "never"],
        env)
    fpr = [l.split(":")[9] for l in run(
        ["gpg", "--batch", "--with-colons", "--list-keys"], env).splitlines()
        if l.startswith("fpr:")][0]
    run(["pass", "init", fpr], env)
    for name, value in canaries.items():
        run(["pass", "insert", "-m", name], env,
            stdin=(value + "\n").encode())
    return env


def sim_state(base):
    with urllib.request.urlopen(base + "/_sim/state") as r:
        return json.loads(r.read())


def parameters(state, workspace, integration):
    for ws in state["workspaces"]:
        if ws["name"] == workspace:
            for i in ws["integrations"]:
                if i.get("display_name") == integration:
                    return i["parameters"]
    return None


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise RuntimeError("'%s' is not in %s" % (old, path))
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def main():
    tool, sim = (os.path.abspath(a) for a in sys.argv[1:3])
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    for prog in ("pass", "gpg", "gpgconf"):
        if not shutil.which(prog):
            print("FAIL secretcmd/pass: '%s' is not installed (make deps)"
                  % prog)
            return 1
    top = tempfile.mkdtemp(prefix="torq-pass-")
    work = os.path.join(top, "work")
    os.mkdir(work)
    hooks = {c: "https://hooks.example/%s-%s" % (c, uuid.uuid4().hex)
             for c in CLIENTS}
    shared = "shared-canary-" + uuid.uuid4().hex
    canaries = [v.encode() for v in hooks.values()] + [shared.encode()]
    env = None
    proc = subprocess.Popen([sim, "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    failures = []
    try:
        base = re.search(r"http://127\.0\.0\.1:[0-9]+",
                         proc.stdout.readline()).group(0)
        env = make_store(top, {"torq/%s/slack-webhook" % c: v
                               for c, v in hooks.items()})
        # a token every client shares, from a script that counts its runs
        tools = os.path.join(top, "tools")
        os.mkdir(tools)
        count = os.path.join(top, "runs")
        script = os.path.join(tools, "shared-token")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho run >> '%s'\necho 'debug: %s' >&2\n"
                    "printf '%%s\\n' '%s'\n" % (count, shared, shared))
        os.chmod(script, 0o755)
        open(count, "w").close()

        shipped.work_tree(root, work, ORG_SECRET, ("traces",))
        hook = '"${secret:cmd:pass show torq/${client}/slack-webhook}"'
        for m in ("examples/single-workspace.yaml", "templates/soc.yaml"):
            path = os.path.join(work, "manifests", m)
            edit(path, "${secret:env:SLACK_WEBHOOK}", hook)
        edit(os.path.join(work, "manifests", "examples",
                          "single-workspace.yaml"),
             "${secret:env:JIRA_TOKEN}", "${secret:cmd:shared-token}")
        edit(os.path.join(work, "manifests", "templates", "soc.yaml"),
             hook, hook + "\n      token: ${secret:cmd:shared-token}")

        env = dict(env, TORQ_ENDPOINT=base, TORQ_CLIENT_ID="sim-admin",
                   TORQ_CLIENT_SECRET=ORG_SECRET,
                   PATH=tools + ":" + os.environ["PATH"])
        env.pop("SLACK_WEBHOOK", None)
        env.pop("JIRA_TOKEN", None)
        one = "manifests/examples/single-workspace.yaml"
        fleet = "manifests/examples/fleet/fleet.yaml"
        steps = [
            ("validate " + one, 0),
            ("plan %s -v" % one, 1),
            ("plan %s -v --out saved.plan --trace traces/plan.jsonl" % one,
             1),
            ("apply saved.plan -v --yes --trace traces/apply.jsonl", 1),
            ("plan %s --detailed-exitcode" % one, 1),
            ("fleet plan %s -v --show-plans" % fleet, 1),
            ("fleet apply %s -v --yes --summary-out fleet.json "
             "--trace traces/fleet.jsonl" % fleet, 1),
            ("fleet plan %s --json" % fleet, 1),
        ]
        transcript = b""
        runs = 0
        for line, ran in steps:
            p = subprocess.run(["/bin/sh", "-c", "exec %s %s" % (tool, line)],
                               cwd=work, env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=300)
            transcript += p.stdout + p.stderr
            if p.returncode:
                failures.append("'%s' exited %d:\n%s" % (
                    line, p.returncode, p.stderr.decode()[-3000:]))
            with open(count) as f:
                now = len(f.read().splitlines())
            if now - runs != ran:
                failures.append("'%s' ran the shared command %d times, "
                                "expected %d" % (line, now - runs, ran))
            runs = now
            if " -v" in line:
                err = p.stderr.decode()
                if "secret command 'pass' (%s): ok" % shutil.which(
                        "pass", path=env["PATH"]) not in err:
                    failures.append("'%s' -v does not name pass's path"
                                    % line)
                if ran and "secret command 'shared-token' said: debug: " \
                        "(sensitive)" not in err:
                    failures.append("'%s' -v does not show what the "
                                    "command said, hidden" % line)

        # a command that fails: its words, not its output; what it said
        # is offered by -v, and shown (not offered again) with it
        bad = os.path.join(tools, "failing-token")
        with open(bad, "w") as f:
            f.write("#!/bin/sh\necho 'vault: permission denied' >&2\n"
                    "exit 3\n")
        os.chmod(bad, 0o755)
        with open(os.path.join(work, one)) as f:
            text = f.read()
        with open(os.path.join(work, "manifests", "examples",
                               "failing.yaml"), "w") as f:
            f.write(text.replace("${secret:cmd:shared-token}",
                                 "${secret:cmd:failing-token}"))
        for verbose in ("", " -v"):
            p = subprocess.run(
                ["/bin/sh", "-c", "exec %s plan manifests/examples/"
                 "failing.yaml%s" % (tool, verbose)], cwd=work, env=env,
                capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
            err = p.stderr.decode()
            hint = "(-v shows what it said)" in err
            said = "'failing-token' said: vault: permission denied" in err
            if p.returncode != 1 or "exited with status 3" not in err or \
                    hint == bool(verbose) or said != bool(verbose):
                failures.append("a failing command, plan%s: exit %d, "
                                "hint %s, said %s:\n%s" % (
                                    verbose, p.returncode, hint, said,
                                    err[-2000:]))

        state = sim_state(base)
        # acme's workspace is single-workspace.yaml's: the fleet, whose
        # state.json is its own, leaves its parameters as not verifiable
        checks = [("acme SOC", "slack-acme", "webhook_url", hooks["acme"]),
                  ("acme SOC", "jira-acme", "api_token", shared)]
        for c in CLIENTS[1:]:
            checks.append(("%s SOC" % c, "slack-" + c, "webhook_url",
                           hooks[c]))
            checks.append(("%s SOC" % c, "slack-" + c, "token", shared))
        for ws, name, key, want in checks:
            params = parameters(state, ws, name)
            if not params or params.get(key) != want:
                failures.append("'%s' integration '%s' has %s=%r, not "
                                "the secret from its command" % (
                                    ws, name, key,
                                    params.get(key) if params else None))

        for s in canaries:
            if s in transcript:
                failures.append("a canary appears in the output")
        written = 0
        for dirpath, _, names in os.walk(work):
            for n in names:
                path = os.path.join(dirpath, n)
                with open(path, "rb") as f:
                    data = f.read()
                written += 1
                for s in canaries:
                    if s in data:
                        failures.append("a canary appears in " +
                                        os.path.relpath(path, work))
        for must in ("saved.plan", "fleet.json", "traces/plan.jsonl",
                     "traces/apply.jsonl", "traces/fleet.jsonl"):
            if not os.path.exists(os.path.join(work, must)):
                failures.append(must + " was not written")
    except Exception as e:  # noqa: BLE001 - any error fails the test
        failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        proc.terminate()
        proc.wait()
        if env and "GNUPGHOME" in env:
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env,
                           capture_output=True)
        shutil.rmtree(top, ignore_errors=True)
    for f in failures:
        print(f)
    print("%s secretcmd/pass: pass show, %d clients" % (
        "FAIL" if failures else "PASS", len(CLIENTS)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
