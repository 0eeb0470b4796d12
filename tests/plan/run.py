#!/usr/bin/python3
"""Golden-file tests of torq-apply commands against a real torq-sim.

usage: run.py TORQ_APPLY TORQ_SIM CASES_DIR   (UPDATE=1 rewrites expectations)

Each case is a directory holding:
  args         the command line after the program name (shell words);
               several lines run one after another, each transcript
               headed by its command and followed by the numbers of API
               mutations and of requests torq-sim counted for it (for
               fleet, mutations only: its threads race for shared reads)
  before.json  optional: API calls made first, as Template's key
               [{"method": "POST", "path": "/users/invite", "body": {...}}]
               (a path starting with /_sim/ goes to the test controls)
  files/       optional: copied into the case's working directory
  env          optional: NAME=VALUE lines added to the environment,
               -NAME lines removing a variable
  stdout, stderr, exit   what is expected
  written      the files the case's directory ends with (not manifests/
               or files/), with their modes

The working directory holds a copy of manifests/ and secrets/template.json
(Template's key, mode 0600). TORQ_ENDPOINT points at the emulator. In the
output the emulator's URL becomes $SIM, UUIDs <uuid>, the working
directory $T and request ids sim-N.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def http(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        text = r.read()
    return json.loads(text) if text else None


def token(base):
    req = urllib.request.Request(base + "/v1/auth/token",
                                 data=b"grant_type=client_credentials",
                                 method="POST")
    import base64
    req.add_header("Authorization", "Basic " +
                   base64.b64encode(b"sim-admin:sim-admin-secret").decode())
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["access_token"]


def normalize(text, base, work):
    text = text.replace(base, "$SIM").replace(work, "$T")
    text = UUID.sub("<uuid>", text)
    text = re.sub(r"\b[0-9]+\.[0-9]+ s\b", "N s", text)
    # how long a step waited for a slot varies from run to run
    text = text.replace(", N s waiting)", ")")
    text = re.sub(r'"seconds": [0-9.e-]+', '"seconds": N', text)
    return re.sub(r"sim-[0-9]+\b", "sim-N", text)


def run_case(case, tool, base, root):
    work = tempfile.mkdtemp(prefix="torq-plan-")
    try:
        shipped.copy_tree(root, "manifests", work)
        os.mkdir(os.path.join(work, "secrets"), 0o700)
        key = os.path.join(work, "secrets", "template.json")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b'{"client_id": "sim-admin", '
                 b'"client_secret": "sim-admin-secret"}\n')
        os.close(fd)
        if os.path.isdir(os.path.join(case, "files")):
            shutil.copytree(os.path.join(case, "files"), work,
                            dirs_exist_ok=True)
            # git keeps no 0600: key files under secrets/ get it here
            for top, _, names in os.walk(os.path.join(work, "secrets")):
                for n in names:
                    os.chmod(os.path.join(top, n), 0o600)
        http(base, "POST", "/_sim/reset")
        before = os.path.join(case, "before.json")
        if os.path.exists(before):
            tok = token(base)
            with open(before) as f:
                for call in json.load(f):
                    p = call["path"]
                    if p.startswith("/_sim/"):
                        http(base, call["method"], p, call.get("body"))
                    else:
                        http(base, call["method"], "/public/v1alpha" + p,
                             call.get("body"), tok)
        env = dict(os.environ)
        for k in ("TORQ_CLIENT_ID", "TORQ_CLIENT_SECRET", "NO_COLOR"):
            env.pop(k, None)
        env["TORQ_ENDPOINT"] = base
        env["SLACK_WEBHOOK"] = "https://hooks.slack.example/T0/S3cretSlack"
        env["JIRA_TOKEN"] = "jira-S3cret-token"
        envf = os.path.join(case, "env")
        if os.path.exists(envf):
            with open(envf) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("-"):
                        env.pop(line[1:], None)
                    elif line and not line.startswith("#"):
                        k, _, v = line.partition("=")
                        env[k] = v.replace("$T", work)
        with open(os.path.join(case, "args")) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        got = {"stdout": "", "stderr": "", "exit": ""}
        for line in lines:
            args = shlex.split(line)
            st = http(base, "GET", "/_sim/stats")
            before, reqs = st["mutations_total"], st["requests_total"]
            cmd = shlex.split(os.environ.get("VALGRIND", "")) + [tool] + args
            p = subprocess.run(cmd, cwd=work, env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=300)
            st = http(base, "GET", "/_sim/stats")
            after, reqs = st["mutations_total"], st["requests_total"] - reqs
            out = normalize(p.stdout.decode(), base, work)
            err = normalize(p.stderr.decode(), base, work)
            if len(lines) > 1:
                # a fleet's threads race for what they share: no count
                counts = "%d API mutations" % (after - before)
                if args[0] != "fleet":
                    counts += ", %d requests" % reqs
                out = "$ torq-apply %s\n%s(%s)\n" % (line, out, counts)
                err = ("$ torq-apply %s\n" % line + err) if err else ""
            got["stdout"] += out
            got["stderr"] += err
            got["exit"] += "%d\n" % p.returncode
        secrets = (b"S3cretSlack", b"jira-S3cret-token")
        for secret in secrets + (b"sim-admin-secret",):
            for stream in ("stdout", "stderr"):
                if secret.decode() in got[stream]:
                    return ["a secret appears in " + stream]
        # no file the command wrote holds a secret (plan files, state)
        for top, _, names in os.walk(work):
            for n in names:
                with open(os.path.join(top, n), "rb") as f:
                    data = f.read()
                if any(s in data for s in secrets):
                    return ["a secret appears in " + os.path.join(top, n)]
        listing = []
        for top, _, names in os.walk(work):
            for n in names:
                full = os.path.join(top, n)
                rel = os.path.relpath(full, work)
                ours = not rel.startswith("manifests" + os.sep) or \
                    os.sep + ".torq-apply" + os.sep in rel
                if ours and \
                   not os.path.exists(os.path.join(case, "files", rel)):
                    listing.append("%s %o\n" % (
                        rel, os.stat(full).st_mode & 0o777))
        got["written"] = "".join(sorted(listing))
        problems = []
        for name, text in got.items():
            path = os.path.join(case, name)
            if os.environ.get("UPDATE"):
                with open(path, "w") as f:
                    f.write(text)
                continue
            want = open(path).read() if os.path.exists(path) else ""
            if want != text:
                import difflib
                diff = "".join(difflib.unified_diff(
                    want.splitlines(True), text.splitlines(True),
                    name + " (expected)", name + " (got)"))
                problems.append(diff)
        return problems
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    tool, sim, cases = (os.path.abspath(a) for a in sys.argv[1:4])
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    proc = subprocess.Popen([sim, "--port", "0", "--rate-limit", "0"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:[0-9]+", line)
    if not m:
        print("cannot start torq-sim: " + line, file=sys.stderr)
        return 1
    base = m.group(0)
    passed = failed = 0
    try:
        for name in sorted(os.listdir(cases)):
            case = os.path.join(cases, name)
            if not os.path.isdir(case):
                continue
            problems = run_case(case, tool, base, root)
            if problems:
                failed += 1
                print("FAIL plan/" + name)
                for p in problems:
                    print(p)
            else:
                passed += 1
                print("PASS plan/" + name)
    finally:
        proc.terminate()
        proc.wait()
    print("plan cases: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
