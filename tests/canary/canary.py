#!/usr/bin/python3
"""The secret canary: every command, verbose, against a real torq-sim, with
unique secret values; then every byte of stdout, stderr and every file the
commands wrote is searched for those values and for every API key secret
(the organisation's and each created workspace's). Only the key files
themselves may hold a key secret, and they (and the runners' install
commands) must be mode 0600. Several commands also write a --trace file:
it is searched like every other file, must be mode 0600, and must hold
no bearer token either (torq-sim's tokens are read from its state).

usage: canary.py TORQ_APPLY TORQ_SIM
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402

CANARIES = {
    "SLACK_WEBHOOK": "https://hooks.example/canary-" + uuid.uuid4().hex,
    "JIRA_TOKEN": "canary-jira-" + uuid.uuid4().hex,
}
ORG_SECRET = "sim-admin-secret"

COMMANDS = [
    "validate manifests/examples/single-workspace.yaml manifests/examples/msp-globex.yaml",
    "plan manifests/examples/single-workspace.yaml -v",
    "plan manifests/examples/single-workspace.yaml -v --json",
    "plan manifests/examples/single-workspace.yaml -v --markdown",
    "plan manifests/examples/single-workspace.yaml -v --out saved.plan "
    "--trace traces/plan.jsonl",
    "apply saved.plan -v --yes --trace traces/apply-saved.jsonl",
    "plan manifests/examples/single-workspace.yaml -v --rotate-secrets",
    "apply manifests/examples/single-workspace.yaml -v --yes --rotate-secrets"
    " --trace traces/apply-rotate.jsonl",
    "export -v --workspace-name 'acme SOC' --out exported/acme.yaml "
    "--trace traces/export.jsonl",
    "report -v --trace traces/report.jsonl",
    "report -v --json",
    "report -v --csv",
    "fleet apply manifests/examples/fleet/fleet.yaml -v --yes --summary-out "
    "fleet.json --trace traces/fleet-apply.jsonl",
    "fleet plan manifests/examples/fleet/fleet.yaml -v --json --show-plans",
    "report -v --fleet manifests/examples/fleet/fleet.yaml",
    "fleet summary fleet.json",
]


TRACES = sum("--trace" in c for c in COMMANDS)


def sim_tokens(base):
    """Every bearer token torq-sim handed out (and still keeps)."""
    with urllib.request.urlopen(base + "/_sim/state") as r:
        state = json.loads(r.read())
    return [t.encode() for t in state.get("tokens", {})]


def main():
    tool, sim = (os.path.abspath(a) for a in sys.argv[1:3])
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    work = tempfile.mkdtemp(prefix="torq-canary-")
    proc = subprocess.Popen([sim, "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    base = re.search(r"http://127\.0\.0\.1:[0-9]+",
                     proc.stdout.readline()).group(0)
    failures = []
    transcript = b""
    try:
        shipped.work_tree(root, work, ORG_SECRET, ("traces",))
        env = dict(os.environ, TORQ_ENDPOINT=base, **CANARIES)
        env["TORQ_CLIENT_ID"] = "sim-admin"
        env["TORQ_CLIENT_SECRET"] = ORG_SECRET
        for line in COMMANDS:
            cmd = ["/bin/sh", "-c", "exec %s %s" % (tool, line)]
            p = subprocess.run(cmd, cwd=work, env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=600)
            transcript += p.stdout + p.stderr
            if p.returncode not in (0, 2):
                failures.append("'%s' exited %d:\n%s" % (
                    line, p.returncode, p.stderr.decode()[-2000:]))
        # every key secret handed out: the created workspaces' too
        secrets = [v.encode() for v in CANARIES.values()]
        secrets.append(ORG_SECRET.encode())
        key_files = set()
        for top, _, names in os.walk(os.path.join(work, "secrets")):
            for n in names:
                path = os.path.join(top, n)
                key_files.add(path)
                with open(path) as f:
                    secrets.append(json.load(f)["client_secret"].encode())
        if len(key_files) < 4:
            failures.append("expected key files for acme and the fleet, "
                            "found %d" % len(key_files))
        secrets += sim_tokens(base)
        traces = 0
        for n in os.listdir(os.path.join(work, "traces")):
            traces += 1
            mode = stat.S_IMODE(os.stat(os.path.join(work, "traces",
                                                     n)).st_mode)
            if mode != 0o600:
                failures.append("traces/%s has mode %o" % (n, mode))
            # a fleet's threads share one trace: no line may be torn
            with open(os.path.join(work, "traces", n)) as f:
                for no, line in enumerate(f, 1):
                    try:
                        json.loads(line)["status"]
                    except (ValueError, KeyError, TypeError):
                        failures.append("traces/%s line %d is not a "
                                        "trace line" % (n, no))
                        break
        if traces != TRACES:
            failures.append("expected %d trace files, found %d" %
                            (TRACES, traces))
        for s in secrets:
            if s in transcript:
                failures.append("a secret appears in the output: %s..." %
                                s[:12].decode())
        checked = 0
        for top, _, names in os.walk(work):
            for n in names:
                path = os.path.join(top, n)
                rel = os.path.relpath(path, work)
                mode = stat.S_IMODE(os.stat(path).st_mode)
                if path in key_files or rel.startswith("runners" + os.sep):
                    if mode & 0o077:
                        failures.append("%s has mode %o" % (rel, mode))
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                checked += 1
                for s in secrets:
                    if s in data:
                        failures.append("a secret appears in %s" % rel)
        print("canary: %d commands, %d secrets, %d bytes of output and %d "
              "files (%d traces) searched" % (len(COMMANDS), len(secrets),
                                              len(transcript), checked,
                                              traces))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
