"""README.md and .ci/run cannot drift apart.

CI must run what a new user runs, as printed: the Quick start block's
commands first, word for word and in order, then the Testing block's
first command, also word for word; and every other target the Testing
block names (make fuzz, make soak, ...) somewhere after them, with any
settings. Run from the top of the tree:
    python3 tests/docs/readme_ci.py README.md .ci/run
"""

import re
import sys


def block(readme, heading):
    """The command lines of the first ```sh block under a ## heading."""
    m = re.search(r"^## %s\n(.*?)^```sh\n(.*?)^```" % re.escape(heading),
                  readme, re.S | re.M)
    if not m:
        sys.exit("readme-ci: README.md has no ```sh block under '## %s'"
                 % heading)
    lines = []
    for line in m.group(2).splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def ci_commands(text):
    """The commands .ci/run runs, without echo, set, cd, status checks
    and comments."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # [ ... ] lines check the status of the line before them
        if re.match(r"(echo|set|cd|export|trap)\b|\[ ", line):
            continue
        out.append(line)
    return out


def targets(command):
    """The make targets a command line runs (settings left out)."""
    found = []
    for part in re.split(r"&&|;", command):
        words = part.split()
        if words[:1] == ["make"]:
            found += [w for w in words[1:]
                      if "=" not in w and not w.startswith("-")]
    return found


def main():
    readme = open(sys.argv[1]).read()
    ci = ci_commands(open(sys.argv[2]).read())
    quick = block(readme, "Quick start")
    testing = block(readme, "Testing")
    want = quick + testing[:1]
    problems = []
    if ci[:len(want)] != want:
        problems.append(
            "%s must begin with the README's Quick start and test commands,"
            " as printed:\n    %s\n  it begins with:\n    %s"
            % (sys.argv[2], "\n    ".join(want),
               "\n    ".join(ci[:len(want)]) or "(nothing)"))
    # set -e lets `make deps && make demo` go on when make deps fails
    raw = [l.strip() for l in open(sys.argv[2]).read().splitlines()]
    for c in want:
        if "&&" in c and c in raw:
            after = raw[raw.index(c) + 1:raw.index(c) + 2]
            if after != ["[ $? -eq 0 ] || exit 1"]:
                problems.append("'%s' in %s is not followed by "
                                "'[ $? -eq 0 ] || exit 1': set -e does not "
                                "stop at its first command's failure"
                                % (c, sys.argv[2]))
    ran = set()
    for c in ci[len(want):]:
        ran.update(targets(c))
    for c in testing[1:]:
        for t in targets(c):
            if t not in ran:
                problems.append("the README's Testing block runs '%s', "
                                "which %s never runs" % (c, sys.argv[2]))
    for p in problems:
        print("FAIL " + p)
    print("readme-ci: %d README commands, %d problems"
          % (len(quick) + len(testing), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
