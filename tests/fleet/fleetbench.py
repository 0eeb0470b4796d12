#!/usr/bin/python3
"""make bench: a fleet of 100 clients with 50 ms injected on every request,
planned, applied and planned again (the drift check of an existing
fleet) in one run with the default options, against one client after
another (one torq-apply run per client, as a shell loop would), each on
a fresh torq-sim. The goal: one run at least 20 times faster for apply
and for the drift plan.

usage: fleetbench.py TORQ_APPLY TORQ_SIM [CLIENTS]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402


def http(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def run(tool, sim, root, clients, parallel):
    work = tempfile.mkdtemp(prefix="torq-fleetbench-")
    proc = subprocess.Popen([sim, "--port", "0", "--runner-quota", "1000"],
                            stdout=subprocess.PIPE, text=True)
    base = re.search(r"http://127\.0\.0\.1:[0-9]+",
                     proc.stdout.readline()).group(0)
    try:
        shipped.copy_tree(root, "manifests", work)
        os.mkdir(os.path.join(work, "secrets"), 0o700)
        key = os.path.join(work, "secrets", "template.json")
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write('{"client_id": "sim-admin", '
                    '"client_secret": "sim-admin-secret"}\n')
        with open(os.path.join(work, "fleet.yaml"), "w") as f:
            f.write("version: 1\ntemplate: manifests/templates/soc.yaml\n"
                    "clients:\n")
            for i in range(clients):
                f.write("  - { name: c%03d, vars: { client: c%03d }, "
                        "credentials: secrets/c%03d.json }\n" % (i, i, i))
        http(base, "POST", "/_sim/faults", {"rules": [
            {"route": "*", "kind": "latency", "latency_ms": 50,
             "every": 1}]})
        env = dict(os.environ, TORQ_ENDPOINT=base,
                   SLACK_WEBHOOK="https://hooks.example/bench")
        out = {}
        for step in ("plan", "apply", "drift"):
            cmd = "apply" if step == "apply" else "plan"
            before = http(base, "GET", "/_sim/stats")["requests_total"]
            t0 = time.monotonic()
            args = [tool, "fleet", cmd, "fleet.yaml", "--credentials",
                    "secrets/template.json"]
            if parallel:
                args += ["--parallel", str(parallel)]
            if cmd == "apply":
                args.append("--yes")
            runs = [args] if parallel != 1 else [
                args + ["--only", "c%03d" % i] for i in range(clients)]
            for a in runs:
                p = subprocess.run(a, cwd=work, env=env,
                                   capture_output=True, text=True)
                if p.returncode:
                    sys.stderr.write(p.stdout + p.stderr)
                    raise SystemExit("fleetbench: fleet %s failed" % cmd)
            took = time.monotonic() - t0
            after = http(base, "GET", "/_sim/stats")["requests_total"]
            out[step] = (took, after - before)
        return out
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    tool, sim = (os.path.abspath(a) for a in sys.argv[1:3])
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    fast = run(tool, sim, root, clients, None)
    slow = run(tool, sim, root, clients, 1)
    names = {"plan": "plan (new)", "apply": "apply", "drift": "plan (drift)"}
    for step in ("plan", "apply", "drift"):
        ratio = slow[step][0] / fast[step][0]
        goal = "" if step == "plan" else "; goal 20x: %s" % (
            "met" if ratio >= 20 else "NOT MET")
        print("fleet %-12s %d clients, 50 ms latency: %6.1f s and %4d "
              "requests in one run (default options); %6.1f s and %4d "
              "requests one client after another (%.1fx%s)"
              % (names[step], clients, fast[step][0], fast[step][1],
                 slow[step][0], slow[step][1], ratio, goal))


if __name__ == "__main__":
    main()
