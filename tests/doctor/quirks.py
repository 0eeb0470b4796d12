#!/usr/bin/python3
"""torq-apply doctor against torq-sim under each of its quirks.

usage: quirks.py TORQ_APPLY TORQ_SIM

Every quirk models an answer the real API may plausibly give where its
reference is silent; torq-apply copes with each, so doctor must find
every call usable (exit 0, "usable": true, no call that differs).
Quirks are read from `torq-sim --help`, so a new one is covered the day
it is added (the golden case plan/doctor-refused covers refusals and
absent calls). Exits 1 when any run fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def start(sim, args):
    p = subprocess.Popen([sim, "--port", "0"] + args, stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:[0-9]+", line)
    if not m:
        p.kill()
        sys.exit("doctor quirks: torq-sim did not start: %r" % line)
    return p, m.group(0)


def doctor(tool, base, key):
    env = dict(os.environ, TORQ_ENDPOINT=base)
    env.pop("TORQ_CLIENT_ID", None)
    env.pop("TORQ_CLIENT_SECRET", None)
    r = subprocess.run([tool, "doctor", "--json", "--credentials", key],
                       env=env, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def main():
    tool, sim = sys.argv[1:3]
    text = subprocess.run([sim, "--help"], capture_output=True,
                          text=True).stdout
    m = re.search(r"^quirks: (.*)$", text, re.M)
    quirks = sorted(set(q for q in re.split(r"[,\s]+", m.group(1)) if
                        re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", q))) \
        if m else []
    if len(quirks) < 5:
        sys.exit("doctor quirks: cannot read the quirks from torq-sim "
                 "--help: %r" % quirks)
    work = tempfile.mkdtemp(prefix="torq-doctor-")
    key = os.path.join(work, "key.json")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b'{"client_id": "sim-admin", '
             b'"client_secret": "sim-admin-secret"}\n')
    os.close(fd)
    failed = 0
    for q in quirks + ["extra-fields,int64-strings,empty-next-token"]:
        p, base = start(sim, ["--quirks", q])
        try:
            rc, out, err = doctor(tool, base, key)
        finally:
            p.terminate()
            p.wait()
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        bad = [c["call"] + ": " + c["result"] for c in j.get("calls", [])
               if c["result"] != "ok"]
        if rc != 0 or not j.get("usable") or bad:
            print("FAIL doctor under --quirks %s (exit %d): %s\n%s%s" %
                  (q, rc, bad, out, err))
            failed += 1
        else:
            print("PASS doctor under --quirks %s" % q)
    os.unlink(key)
    os.rmdir(work)
    print("doctor quirks: %d of %d passed" % (
        len(quirks) + 1 - failed, len(quirks) + 1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
