#!/usr/bin/python3
"""validate and plan agree on every broken manifest.

usage: verdict.py TORQ_APPLY

Every manifest of the golden validate cases (tests/cases/validate/*), and
of the plan cases that stop before any API call because the manifest is
not valid (tests/plan/cases/*), goes through both `validate` and `plan`.
plan runs against an endpoint that refuses every key at once (a 401 to
the token request: no retries, no waiting), so it can only get as far
as the manifest: a manifest validate refuses, plan must refuse
("is not valid; nothing was read"), and one validate passes, plan must
take to the API. The one difference allowed is the one validate is for:
a secret it cannot read is a warning there and an error in plan.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import shipped  # noqa: E402

REFUSING = None   # the refusing server's address, once it runs


class Refuse(BaseHTTPRequestHandler):
    """Every request: 401, as Torq answers a key it does not know."""

    def refuse(self):
        body = b'{"code": 16, "message": "invalid client credentials"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = refuse

    def log_message(self, *args):
        pass


def refusing_server():
    global REFUSING
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    REFUSING = "http://127.0.0.1:%d" % srv.server_address[1]
    return srv
SECRET_ONLY = ("the secret is needed to plan and apply",
               "cannot read secret file")
# options of validate that plan takes too, and whether they take a value
OPTIONS = {"--var": True, "--var-file": True,
           "--allow-extends-outside": False, "-q": False, "--quiet": False}


def env_of(case_env):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"),
           "NO_COLOR": "1", "TORQ_ENDPOINT": REFUSING,
           "TORQ_CLIENT_ID": "verdict", "TORQ_CLIENT_SECRET": "verdict"}
    if os.path.exists(case_env):
        with open(case_env) as f:
            for line in f.read().split():
                if line.startswith("-"):
                    env.pop(line[1:], None)
                elif "=" in line:
                    k, v = line.split("=", 1)
                    env[k] = v
    return env


def split(words):
    """validate's words as (options for both, manifests)."""
    opts, files, i = [], [], 0
    while i < len(words):
        w = words[i]
        if w in OPTIONS:
            opts.append(w)
            if OPTIONS[w]:
                i += 1
                opts.append(words[i])
        elif w.startswith("-"):
            return None, None
        else:
            files.append(w)
        i += 1
    return [o for o in opts if o not in ("-q", "--quiet")], files


def run(tool, args, cwd, env):
    p = subprocess.run([tool] + args, cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def errors(stderr):
    return [l for l in stderr.splitlines() if ": error: " in l]


def with_secrets(env, cwd, manifest):
    """env with a stand-in for each ${secret:env:NAME} left unset, so a
    secret where none may stand is judged with its value present."""
    env = dict(env)
    path = os.path.join(cwd, manifest)
    d = os.path.dirname(path) if os.path.isfile(path) else path
    texts = []
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(d, name), "rb") as f:
                texts.append(f.read().decode("utf-8", "replace"))
    for name in re.findall(r"\$\{secret:env:([A-Za-z_][A-Za-z0-9_]*)\}",
                           "\n".join(texts)):
        env.setdefault(name, "stand-in-secret")
    return env


def judge(tool, name, cwd, env, opts, manifest):
    """None when validate and plan agree on manifest, else why not."""
    env = with_secrets(env, cwd, manifest)
    vrc, verr = run(tool, ["validate"] + opts + [manifest], cwd, env)
    prc, perr = run(tool, ["plan"] + opts + [manifest], cwd, env)
    refused = "nothing was read" in perr or (
        prc != 0 and REFUSING not in perr and "reading workspace" not in perr)
    if vrc != 0 and not refused:
        return "validate refuses %s, plan does not:\n%s" % (manifest, perr)
    if vrc == 0 and refused:
        errs = errors(perr)
        if errs and all(any(s in e for s in SECRET_ONLY) for e in errs):
            return None
        return "validate passes %s, plan refuses it:\n%s" % (manifest, perr)
    return None


def judge_all(tool, name, cwd, env, opts, files, failed):
    """Judge each manifest, print a line each; returns how many."""
    for m in files:
        why = judge(tool, name, cwd, env, opts, m)
        print("%s %s %s" % ("FAIL" if why else "PASS", name, m))
        if why:
            failed.append(why)
    return len(files)


def main():
    tool = os.path.abspath(sys.argv[1])
    refusing_server()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checked, failed = 0, []
    vroot = os.path.join(root, "tests", "cases", "validate")
    for case in sorted(os.listdir(vroot)):
        d = os.path.join(vroot, case)
        with open(os.path.join(d, "args")) as f:
            words = shlex.split(f.read())
        if words[0] != "validate":
            continue
        opts, files = split(words[1:])
        if opts is None:
            continue
        checked += judge_all(tool, "validate/" + case, d,
                             env_of(os.path.join(d, "env")), opts, files,
                             failed)
    proot = os.path.join(root, "tests", "plan", "cases")
    for case in sorted(os.listdir(proot)):
        d = os.path.join(proot, case)
        stderr = os.path.join(d, "stderr")
        if not os.path.exists(stderr):
            continue
        with open(stderr) as f:
            # the manifest refused, not a key or the API
            if "is not valid; nothing was read" not in f.read():
                continue
        with open(os.path.join(d, "args")) as f:
            words = shlex.split(f.readline())
        if words[0] not in ("plan", "apply"):
            continue
        work = tempfile.mkdtemp(prefix="torq-verdict-")
        try:
            shipped.copy_tree(root, "manifests", work)
            if os.path.isdir(os.path.join(d, "files")):
                shutil.copytree(os.path.join(d, "files"), work,
                                dirs_exist_ok=True)
            opts, files = [], []
            i = 1
            while i < len(words):
                w = words[i]
                if w in ("--var", "--var-file"):
                    opts += [w, words[i + 1]]
                    i += 1
                elif w == "--credentials":
                    i += 1
                elif not w.startswith("-"):
                    files.append(w)
                i += 1
            checked += judge_all(tool, "plan/" + case, work,
                                 env_of(os.path.join(d, "env")), opts,
                                 files, failed)
        finally:
            shutil.rmtree(work)
    for why in failed:
        print("---", why)
    print("verdicts: %d agree, %d differ" % (checked - len(failed),
                                            len(failed)))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
