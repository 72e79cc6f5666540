#!/usr/bin/env python3
"""bench/check_sql.py — checks that every statement the baseline copies from the daemon
(bench/baseline_sql.c) is still the daemon's statement, character for character.

Each section of baseline_sql.c starts with "/* ---- copied from daemon/FILE.c ---- */" and
defines statements under the daemon's own names (static const char SQL_X[]). Both files are run
through the C preprocessor with the flags CMake recorded in compile_commands.json, the string
literals of each statement are joined, and the two texts compared.

usage: bench/check_sql.py BUILD_DIR      (a build directory configured from this source tree)
Exit status: 0 all identical, 1 a statement differs or is missing, 2 usage or setup error.
"""
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BASELINE = os.path.join(HERE, "baseline_sql.c")
STMT = re.compile(r'static const char (\w+)\[\]\s*=\s*((?:\s*"(?:[^"\\]|\\.)*")+)\s*;')
NAME = re.compile(r"static const char (\w+)\[\]")
LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')


def preprocess(commands, path):
    """The preprocessed text of `path`, compiled as CMake compiles it."""
    for entry in commands:
        if os.path.realpath(entry["file"]) != os.path.realpath(path):
            continue
        args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
        out, skip = [], False
        for a in args:
            if skip:
                skip = False
            elif a in ("-o", "-MF", "-MT", "-MQ"):
                skip = True
            elif a in ("-c", "-MD", "-MMD") or os.path.realpath(a) == os.path.realpath(path):
                pass
            else:
                out.append(a)
        run = subprocess.run(out + ["-E", "-P", path], cwd=entry["directory"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit("check_sql: could not preprocess %s:\n%s" % (path, run.stderr))
        return run.stdout
    sys.exit("check_sql: %s is not in compile_commands.json (build ismsbench first)" % path)


def statements(text):
    return {m.group(1): "".join(LIT.findall(m.group(2))) for m in STMT.finditer(text)}


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    cc = os.path.join(sys.argv[1], "compile_commands.json")
    try:
        with open(cc) as f:
            commands = json.load(f)
    except OSError as e:
        print("check_sql: %s (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)" % e,
              file=sys.stderr)
        return 2
    raw = open(BASELINE).read()
    sections = re.split(r"/\* ---- copied from (\S+) ---- \*/", raw)[1:]
    ours = statements(preprocess(commands, BASELINE))
    bad = 0
    for i in range(0, len(sections), 2):
        src = sections[i]
        theirs = statements(preprocess(commands, os.path.join(ROOT, src)))
        for name in NAME.findall(sections[i + 1]):
            if name not in theirs:
                print("MISSING  %s %s: the daemon has no such statement" % (src, name))
                bad += 1
            elif theirs[name] != ours.get(name):
                a, b = theirs[name], ours.get(name, "")
                at = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]),
                          min(len(a), len(b)))
                print("DIFFERS  %s %s at character %d:\n  daemon: ...%s\n  bench:  ...%s"
                      % (src, name, at, a[max(0, at - 40):at + 60], b[max(0, at - 40):at + 60]))
                bad += 1
            else:
                print("same     %s %s" % (src, name))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
