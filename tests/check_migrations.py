#!/usr/bin/env python3
"""tests/check_migrations.py — refuses edits to merged migrations.

A migration in schema/migrations.md5 is merged: its text must keep that md5 (ismsd stores the
same md5 in schema_migrations and refuses to start on a mismatch). Every schema/NNN_*.sql must
be listed there. With git history, a merged file must also equal the version first committed,
so the list itself cannot be edited to match. Usage: check_migrations.py [SOURCE_DIR].
"""
import hashlib
import os
import subprocess
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
schema = os.path.join(root, "schema")
errors = []

listed = {}
with open(os.path.join(schema, "migrations.md5"), encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[1]) != 32:
            errors.append(f"schema/migrations.md5:{n}: want 'NNN_name.sql MD5', got {line!r}")
            continue
        if parts[0] in listed:
            errors.append(f"schema/migrations.md5:{n}: {parts[0]} listed twice")
        listed[parts[0]] = parts[1]

files = sorted(f for f in os.listdir(schema) if f.endswith(".sql") and f[:3].isdigit() and f[3] == "_")
versions = {}
for name in files:
    v = int(name[:3])
    if v in versions:
        errors.append(f"schema/{name} and schema/{versions[v]} share version {v}")
    versions[v] = name
    with open(os.path.join(schema, name), "rb") as f:
        md5 = hashlib.md5(f.read()).hexdigest()
    if name not in listed:
        errors.append(f"schema/{name} is not in schema/migrations.md5 (add 'schema/{name} {md5}' when it is merged)")
    elif listed[name] != md5:
        errors.append(f"schema/{name} was edited after it was merged (md5 {md5}, merged as {listed[name]}): "
                      "undo the edit and add a new migration")
for name in listed:
    if name not in files:
        errors.append(f"schema/{name} is listed in schema/migrations.md5 but missing: a merged migration is never removed")

def git(*args):
    return subprocess.run(["git", "-C", root, *args], capture_output=True)

checked_git = 0
if git("rev-parse", "--git-dir").returncode == 0 and git("rev-parse", "--is-shallow-repository").stdout.strip() != b"true":
    for name in files:
        path = f"schema/{name}"
        log = git("log", "--diff-filter=A", "--format=%H", "--", path)
        commits = log.stdout.decode().split()
        if log.returncode != 0 or not commits:
            continue  # not committed yet
        first = git("show", f"{commits[-1]}:{path}")
        if first.returncode != 0:
            continue
        with open(os.path.join(schema, name), "rb") as f:
            if f.read() != first.stdout:
                errors.append(f"{path} differs from the version first committed in {commits[-1][:10]}: "
                              "a merged migration is never edited; add a new one")
        checked_git += 1

for e in errors:
    print("check_migrations: " + e, file=sys.stderr)
print(f"check_migrations: {len(files)} migrations, {len(listed)} listed, {checked_git} compared with git history, "
      f"{len(errors)} problem(s)")
sys.exit(1 if errors else 0)
