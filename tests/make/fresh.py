"""The Makefile from a fresh clone: every target builds what it runs.

In a copy of the project's files (no build/, no bin/), for each target a
user may run first:
- `make -n --warn-undefined-variables TARGET` names no undefined
  variable (a rule whose prerequisite names a variable defined further
  down reads it empty, and then builds nothing: `make demo` once ran a
  torq-sim it had never built);
- its dry run links every program the target runs.
Run from the top of the tree: python3 tests/make/fresh.py
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import shipped  # noqa: E402

APPLY = "bin/torq-apply"
SIM = "bin/torq-sim"
# target (with its arguments) -> programs its dry run must link
TARGETS = {
    "all": [APPLY, SIM],
    "demo": [APPLY, SIM],
    "check": [APPLY, SIM, "build/default/tests/client/test_client",
              "build/default/tests/sim/test_sim"],
    "check SANITIZE=1": ["bin/sanitize/torq-apply", "bin/sanitize/torq-sim"],
    "valgrind": [APPLY, SIM],
    "bench": [APPLY, SIM, "build/default/tests/sim/simload"],
    "soak": [APPLY, SIM],
    "install": [APPLY, SIM],
    "deb": [APPLY, SIM],
    "installcheck": [APPLY, SIM],
    "fuzz": ["build/fuzz/fuzz_manifest", "build/fuzz/fuzz_api",
             "build/fuzz/fuzz_sim"],
    "help": [],
    "deps": [],
    "style": [],
    "clean": [],
    "uninstall": [],
}


def main():
    root = os.getcwd()
    failures = []
    # a user's first make, not a child of this one: make check SANITIZE=1
    # passes its settings down in MAKEFLAGS and the environment
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR")
           if k in os.environ}
    with tempfile.TemporaryDirectory(prefix="torq-fresh-") as tree:
        shipped.copy_tree(root, ".", tree)
        for target, programs in TARGETS.items():
            run = subprocess.run(
                ["make", "-n", "--warn-undefined-variables"] +
                target.split(), cwd=tree, capture_output=True, text=True,
                env=env)
            out = run.stdout + run.stderr
            problems = []
            if run.returncode != 0:
                problems.append("make -n exits %d" % run.returncode)
            problems += [line for line in out.splitlines()
                         if "warning: undefined variable" in line]
            for p in programs:
                if ("-o %s " % p) not in out:
                    problems.append("does not build %s" % p)
            if problems:
                failures.append("make %s:\n  %s" % (target,
                                                    "\n  ".join(problems)))
    for f in failures:
        print("FAIL " + f)
    print("fresh-clone make: %d targets, %d failed" %
          (len(TARGETS), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
