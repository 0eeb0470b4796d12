#!/usr/bin/python3
"""Recorded traces replayed: torq-apply --trace against torq-sim, then the
same command against torq-sim --replay of that trace.

usage: run.py TORQ_APPLY TORQ_SIM CASES_DIR   (RECORD=1 records afresh)

Each case is a directory holding:
  args         the command line after the program name (shell words)
  files/       optional: copied into the case's working directory
  trace.jsonl  the trace recorded against the seeded torq-sim
  stdout, stderr, exit   what the recording run printed and returned

Replaying a case must give the recorded stdout, stderr and exit code byte
for byte (the emulator's URL becoming $SIM, the working directory $T),
and torq-sim must end content: every recorded request asked for, nothing
else. Then the trace is broken twice, and each replay must fail: one
request missing from it, and one extra request nobody asks for.

With RECORD=1 each case is run against a fresh seeded torq-sim with
--trace and its files rewritten; the trace must be mode 0600 and hold no
secret.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402

ORG_SECRET = "sim-admin-secret"
SECRETS = ("S3cretSlack", "jira-S3cret-token", ORG_SECRET)
# recorded URLs name no port: a replay ignores the host anyway
RECORDED_BASE = "http://torq-sim.invalid"


def start_sim(sim, *args):
    proc = subprocess.Popen([sim, "--port", "0", "--rate-limit", "0"] +
                            list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    m = re.search(r"http://127\.0\.0\.1:[0-9]+", proc.stdout.readline())
    if not m:
        proc.kill()
        raise RuntimeError("cannot start torq-sim: " + proc.stderr.read())
    return proc, m.group(0)


def stop_sim(proc):
    """SIGTERM; returns torq-sim's exit code and stderr."""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def workdir(case, root):
    work = tempfile.mkdtemp(prefix="torq-trace-")
    shipped.copy_tree(root, "manifests", work)
    os.mkdir(os.path.join(work, "secrets"), 0o700)
    fd = os.open(os.path.join(work, "secrets", "template.json"),
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, json.dumps({"client_id": "sim-admin",
                             "client_secret": ORG_SECRET}).encode())
    os.close(fd)
    files = os.path.join(case, "files")
    if os.path.isdir(files):
        shutil.copytree(files, work, dirs_exist_ok=True)
    return work


def run_tool(tool, case, work, base, extra=()):
    env = dict(os.environ)
    for k in ("TORQ_CLIENT_ID", "TORQ_CLIENT_SECRET", "NO_COLOR"):
        env.pop(k, None)
    env["TORQ_ENDPOINT"] = base
    env["SLACK_WEBHOOK"] = "https://hooks.slack.example/T0/S3cretSlack"
    env["JIRA_TOKEN"] = "jira-S3cret-token"
    with open(os.path.join(case, "args")) as f:
        args = shlex.split(f.read())
    p = subprocess.run([tool] + args + list(extra), cwd=work, env=env,
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=300)

    def norm(b):
        return b.decode().replace(base, "$SIM").replace(work, "$T")
    return {"stdout": norm(p.stdout), "stderr": norm(p.stderr),
            "exit": "%d\n" % p.returncode}


def record(case, tool, sim, root):
    work = workdir(case, root)
    proc, base = start_sim(sim)
    try:
        got = run_tool(tool, case, work, base, ["--trace", "t.jsonl"])
    finally:
        stop_sim(proc)
    path = os.path.join(work, "t.jsonl")
    problems = []
    if os.stat(path).st_mode & 0o777 != 0o600:
        problems.append("the trace is not mode 0600")
    with open(path) as f:
        text = f.read()
    if any(s in text for s in SECRETS):
        problems.append("a secret appears in the trace")
    got["trace.jsonl"] = text.replace(base, RECORDED_BASE)
    for name, data in got.items():
        with open(os.path.join(case, name), "w") as f:
            f.write(data)
    shutil.rmtree(work, ignore_errors=True)
    return problems


def replay(case, tool, sim, root, trace):
    """Run the case against a replay of trace: (outputs, sim's verdict)."""
    work = workdir(case, root)
    proc, base = start_sim(sim, "--replay", trace)
    try:
        got = run_tool(tool, case, work, base)
    finally:
        code, err = stop_sim(proc)
        shutil.rmtree(work, ignore_errors=True)
    return got, code, err


def broken(case, how, tmp):
    """The case's trace with one request taken out, or one added."""
    with open(os.path.join(case, "trace.jsonl")) as f:
        lines = f.read().splitlines(True)
    api = [i for i, l in enumerate(lines) if not json.loads(l)["token"]]
    if how == "missing":
        del lines[api[-1]]
    else:
        extra = json.loads(lines[api[-1]])
        extra["url"] = RECORDED_BASE + "/public/v1alpha/never-asked"
        lines.append(json.dumps(extra) + "\n")
    path = os.path.join(tmp, how + ".jsonl")
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def check(case, tool, sim, root):
    import difflib
    problems = []
    got, code, err = replay(case, tool, sim, root,
                            os.path.join(case, "trace.jsonl"))
    for name in ("stdout", "stderr", "exit"):
        with open(os.path.join(case, name)) as f:
            want = f.read()
        if want != got[name]:
            problems.append("".join(difflib.unified_diff(
                want.splitlines(True), got[name].splitlines(True),
                name + " (recorded)", name + " (replayed)")))
    if code != 0:
        problems.append("torq-sim --replay exited %d:\n%s" % (code, err))
    tmp = tempfile.mkdtemp(prefix="torq-trace-broken-")
    try:
        for how in ("missing", "extra"):
            _, code, err = replay(case, tool, sim, root,
                                  broken(case, how, tmp))
            if code == 0 or "did not match the trace" not in err:
                problems.append("a replay with a request %s passed "
                                "(torq-sim exit %d)" % (how, code))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return problems


def main():
    tool, sim, cases = (os.path.abspath(a) for a in sys.argv[1:4])
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    passed = failed = 0
    for name in sorted(os.listdir(cases)):
        case = os.path.join(cases, name)
        if not os.path.isdir(case):
            continue
        if os.environ.get("RECORD"):
            problems = record(case, tool, sim, root)
        else:
            problems = check(case, tool, sim, root)
        if problems:
            failed += 1
            print("FAIL traces/" + name)
            for p in problems:
                print(p)
        else:
            passed += 1
            print("PASS traces/" + name)
    print("trace replays: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
