"""Differential test: our schema validator against python3-jsonschema.

For every manifest given, tests/tools/schemacheck (our loader, resolver and
validator) prints its verdict and the resolved document; jsonschema's
Draft7Validator judges the same document against the same schema file. The
verdicts must agree. "email" is checked in Python by an independent
implementation of the rule docs/internals/schema.md states, since
jsonschema's own email check only looks for an "@".
Run with Debian's /usr/bin/python3 (python3-jsonschema).
"""
import json
import re
import subprocess
import sys

import jsonschema

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(r"^%s(\.%s)*$" % (_ATOM, _ATOM))
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def is_email(value):
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    if not at or not _LOCAL.match(local) or not domain:
        return False
    # RFC 5321 lengths, in octets
    if len(value.encode()) > 254 or len(local.encode()) > 64 or \
            len(domain.encode()) > 255:
        return False
    if domain.startswith("[") and domain.endswith("]"):
        return True
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def main():
    tool, schema_path = sys.argv[1], sys.argv[2]
    jobs = [line.rstrip("\n").split("\t") for line in sys.stdin if line.strip()]
    with open(schema_path) as f:
        schema = json.load(f)
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("email")(is_email)
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    agree = disagree = unloadable = 0
    for job in jobs:
        path, extra = job[0], job[1:]
        out = subprocess.run([tool, path] + extra, capture_output=True,
                             text=True, check=False)
        if out.returncode != 0:
            print("FAIL %s: schemacheck failed: %s" % (path, out.stderr.strip()))
            disagree += 1
            continue
        lines = out.stdout.split("\n", 1)
        ours = lines[0]
        if ours == "unloadable":
            unloadable += 1
            continue
        instance = json.loads(lines[1])
        theirs = "valid" if validator.is_valid(instance) else "invalid"
        if ours == theirs:
            agree += 1
        else:
            disagree += 1
            errs = "; ".join(e.message for e in validator.iter_errors(instance))
            print("FAIL %s: ours %s, jsonschema %s (%s)" % (path, ours, theirs, errs))
    print("differential: %d manifests agree, %d not loadable (skipped), %d disagree"
          % (agree, unloadable, disagree))
    print("%d passed, %d failed" % (agree, disagree))
    return 1 if disagree or not agree else 0


if __name__ == "__main__":
    sys.exit(main())
