"""The project's own files, sealed from a user's runs in the tree.

The README's examples leave run artefacts beside the manifests (state
and journals under .torq-apply/, key files, install commands): a test
that copied them would start from the user's state, not the project's.
copy_tree() copies what git would commit (tracked files and new files
.gitignore does not exclude); outside a git checkout it leaves out the
same artefacts by name.
"""

import fnmatch
import os
import shutil
import subprocess

# The artefacts .gitignore names, for a tree that is not a git checkout.
ARTEFACTS = (".torq-apply", "secrets", "runners", "*.tmp", "__pycache__")


def _git_files(root, sub):
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", sub],
            capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p for p in out.decode().split("\0") if p]


def files(root, sub):
    """Paths (relative to root) of the project's files under root/sub."""
    listed = _git_files(root, sub)
    if listed is not None:
        # A file deleted in the work tree but still in the index is gone.
        return sorted(p for p in listed
                      if os.path.isfile(os.path.join(root, p)))
    found = []
    for top, dirs, names in os.walk(os.path.join(root, sub)):
        dirs[:] = sorted(d for d in dirs if not _artefact(d))
        for n in sorted(names):
            if not _artefact(n):
                found.append(os.path.relpath(os.path.join(top, n), root))
    return found


def _artefact(name):
    return any(fnmatch.fnmatch(name, p) for p in ARTEFACTS)


def copy_tree(root, sub, dest):
    """Copy the project's files under root/sub to dest/sub."""
    for rel in files(root, sub):
        to = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(to), exist_ok=True)
        shutil.copy2(os.path.join(root, rel), to)


def work_tree(root, work, org_secret, dirs=()):
    """Fill work as the end-to-end tests want it: a copy of manifests/,
    secrets/template.json holding Template's key (sim-admin, the
    organisation's, with org_secret) mode 0600, and the named directories
    (mode 0700)."""
    import json
    copy_tree(root, "manifests", work)
    for d in ("secrets",) + tuple(dirs):
        os.mkdir(os.path.join(work, d), 0o700)
    key = os.path.join(work, "secrets", "template.json")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, json.dumps({"client_id": "sim-admin",
                             "client_secret": org_secret}).encode())
    os.close(fd)
