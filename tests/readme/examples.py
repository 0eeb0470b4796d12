"""Run the README's examples in the tree, as a user following it would.

The shell blocks under the headings below run as printed, in one shell
at the top of the tree, with bin/ on PATH (the README's `torq-apply` is
the installed program) and the emulator's port 8085 replaced by a free
one. They leave what a user's runs leave (keys under secrets/, install
commands under runners/, .torq-apply/ beside the manifests, the export
under acme/); CI then runs `make check` again in that tree, which must
still pass. Not part of `make check`: it writes into the tree.
    python3 tests/readme/examples.py README.md
"""

import os
import re
import socket
import subprocess
import sys

HEADINGS = ["### Your own manifest, offline", "### export"]


def block(readme, heading):
    m = re.search(r"^%s\n(.*?)^```sh\n(.*?)^```" % re.escape(heading),
                  readme, re.S | re.M)
    if not m:
        sys.exit("readme-examples: no ```sh block under '%s'" % heading)
    return m.group(2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    readme = open(sys.argv[1]).read()
    port = str(free_port())
    script = ["set -eux"]
    for h in HEADINGS:
        script.append("# " + h)
        script.append(block(readme, h).replace("8085", port))
    script.append("kill %1")
    env = dict(os.environ)
    env["PATH"] = os.path.abspath("bin") + os.pathsep + env["PATH"]
    run = subprocess.run(["bash", "-c", "\n".join(script)], env=env)
    if run.returncode != 0:
        print("readme-examples: FAIL, exit code %d" % run.returncode)
        return 1
    print("readme-examples: %d blocks ran" % len(HEADINGS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
