#!/usr/bin/env python3
"""tests/check_layers.py — checks the include rule of docs/ARCHITECTURE.md by reading the
`#include` lines of daemon/, common/, client/ and bench/.

Layers, lowest first: common; core; net, db; rpc; auth, domain, sched; main (daemon/main.c).
A module includes only its own layer or lower, and modules of one layer never include each
other both ways (no cycles). Besides:
  - <libpq-fe.h> only in daemon/db/, and no file outside db/ includes a db/ header that pulls
    libpq in (handlers read rows through db/rows.h);
  - auth/, domain/ and sched/ never include net/ (rpc/principal.h gives what they need);
  - net/ sees no protobuf; core/ and common/ see neither libuv nor libpq;
  - common/ includes only common/, and client/ and bench/ include nothing from daemon/
    (except bench/baseline_sql.c, which mirrors the daemon's SQL and is checked against it).

usage: tests/check_layers.py [SOURCE_ROOT]   check the tree (default: this file's tree)
       tests/check_layers.py --self-test     check that each rule catches a violation
Exit status: 0 clean, 1 violations (one line each: file:line: what), 2 usage error.
"""
import os
import re
import sys
import tempfile

LAYER = {"common": 0, "core": 1, "net": 2, "db": 2, "rpc": 3, "auth": 4, "domain": 4,
         "sched": 4, "main": 5}
NO_NET = {"auth", "domain", "sched"}
SYSTEM_BANS = {
    "common": {"uv.h": "libuv", "libpq-fe.h": "libpq"},
    "core": {"uv.h": "libuv", "libpq-fe.h": "libpq"},
    "net": {"libpq-fe.h": "libpq", "protobuf-c/protobuf-c.h": "protobuf"},
}
BENCH_EXCEPTION = "bench/baseline_sql.c"
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def sources(root, top):
    base = os.path.join(root, top)
    for d, _, files in os.walk(base):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")


def includes(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1) == "<", m.group(2)


def module_of(rel):
    """The module of a daemon/ or common/ file: common, core, net, ..., main."""
    parts = rel.split("/")
    if parts[0] == "common":
        return "common"
    if rel == "daemon/main.c":
        return "main"
    return parts[1] if len(parts) > 2 else None


def resolve(root, inc):
    """The tree path a quoted include names ("common/x.h" or "daemon/<inc>"), or None."""
    if inc.startswith("common/"):
        return inc if os.path.exists(os.path.join(root, inc)) else None
    d = "daemon/" + inc
    return d if os.path.exists(os.path.join(root, d)) else None


def pulls_libpq(root, rel, memo, stack=()):
    """Whether header `rel` includes <libpq-fe.h>, directly or through our headers."""
    if rel in memo:
        return memo[rel]
    memo[rel] = False
    for _, is_sys, inc in includes(root, rel):
        if is_sys:
            if inc == "libpq-fe.h":
                memo[rel] = True
        else:
            t = resolve(root, inc)
            if t and t.endswith(".h") and t not in stack and pulls_libpq(root, t, memo,
                                                                         stack + (rel,)):
                memo[rel] = True
    return memo[rel]


def check(root):
    errors, edges, memo = [], {}, {}
    for rel in list(sources(root, "daemon")) + list(sources(root, "common")):
        mod = module_of(rel)
        if mod not in LAYER:
            errors.append("%s:1: not in a known module (%s)" % (rel, ", ".join(LAYER)))
            continue
        for n, is_sys, inc in includes(root, rel):
            where = "%s:%d" % (rel, n)
            if is_sys:
                if inc == "libpq-fe.h" and mod != "db":
                    errors.append("%s: <libpq-fe.h> outside db/ (use db/rows.h)" % where)
                elif inc in SYSTEM_BANS.get(mod, {}):
                    errors.append("%s: %s/ must not use %s (<%s>)"
                                  % (where, mod, SYSTEM_BANS[mod][inc], inc))
                continue
            if inc.startswith("isms/v1/"):
                if mod in ("net", "common", "core"):
                    errors.append("%s: %s/ must not see protobuf messages (%s)" % (where, mod, inc))
                continue
            target = resolve(root, inc)
            if target is None:
                errors.append('%s: "%s" is not rooted at daemon/ or common/' % (where, inc))
                continue
            tmod = module_of(target)
            if mod == "common" and tmod != "common":
                errors.append('%s: common/ includes only common/, not "%s"' % (where, inc))
            elif LAYER[tmod] > LAYER[mod]:
                errors.append('%s: %s/ (layer %d) includes "%s" from %s/ (layer %d) above it'
                              % (where, mod, LAYER[mod], inc, tmod, LAYER[tmod]))
            elif mod in NO_NET and tmod == "net":
                errors.append('%s: %s/ never includes net/ ("%s"); use rpc/principal.h'
                              % (where, mod, inc))
            elif mod != "db" and tmod == "db" and pulls_libpq(root, target, memo):
                errors.append('%s: "%s" pulls in <libpq-fe.h> outside db/' % (where, inc))
            if tmod != mod and LAYER[tmod] == LAYER[mod]:
                edges.setdefault((mod, tmod), where)
    for (a, b), where in sorted(edges.items()):
        if (b, a) in edges and a < b:
            errors.append("%s: %s/ and %s/ include each other (also %s)"
                          % (where, a, b, edges[(b, a)]))
    for top in ("client", "bench"):
        for rel in sources(root, top):
            if rel == BENCH_EXCEPTION:
                continue
            local = os.path.dirname(rel)
            for n, is_sys, inc in includes(root, rel):
                if is_sys or inc.startswith(("common/", "isms/v1/")) \
                        or os.path.exists(os.path.join(root, local, inc)):
                    continue
                if inc.startswith("daemon/") or os.path.exists(os.path.join(root, "daemon", inc)):
                    errors.append('%s:%d: %s/ includes daemon header "%s"' % (rel, n, top, inc))
    return errors


def self_test():
    """Builds a small tree breaking each rule once and checks each break is reported."""
    tree = {
        "common/status.h": '#include "core/log.h"\n',
        "common/frame.c": "#include <uv.h>\n",
        "daemon/core/log.h": '#include "common/status.h"\n#include <libpq-fe.h>\n',
        "daemon/db/pool.h": "#include <libpq-fe.h>\n",
        "daemon/db/rows.h": "\n",
        "daemon/net/conn.h": '#include "rpc/call.h"\n#include "isms/v1/envelope.pb-c.h"\n',
        "daemon/rpc/call.h": '#include "db/pool.h"\n#include "db/rows.h"\n',
        "daemon/auth/session.c": '#include "domain/domain.h"\n#include "net/conn.h"\n',
        "daemon/domain/domain.h": '#include "auth/session.h"\n#include "rpc/principal.h"\n',
        "daemon/domain/x.c": '#include "core/log.h"\n#include "db/rows.h"\n',
        "daemon/auth/session.h": "#include <libpq-fe.h>\n",
        "daemon/rpc/principal.h": "\n",
        "daemon/main.c": '#include "domain/domain.h"\n',
        "client/wire.h": '#include "common/frame.h"\n#include "rpc/call.h"\n',
        "bench/baseline_sql.c": '#include "domain/domain.h"\n',
    }
    expect = [
        'common/status.h:1: common/ includes only common/, not "core/log.h"',
        "common/frame.c:1: common/ must not use libuv (<uv.h>)",
        "daemon/core/log.h:2: <libpq-fe.h> outside db/ (use db/rows.h)",
        'daemon/net/conn.h:1: net/ (layer 2) includes "rpc/call.h" from rpc/ (layer 3) above it',
        "daemon/net/conn.h:2: net/ must not see protobuf messages (isms/v1/envelope.pb-c.h)",
        'daemon/rpc/call.h:1: "db/pool.h" pulls in <libpq-fe.h> outside db/',
        'daemon/auth/session.c:2: auth/ never includes net/ ("net/conn.h"); use rpc/principal.h',
        "daemon/auth/session.h:1: <libpq-fe.h> outside db/ (use db/rows.h)",
        "daemon/auth/session.c:1: auth/ and domain/ include each other (also daemon/domain/domain.h:1)",
        'client/wire.h:2: client/ includes daemon header "rpc/call.h"',
    ]
    with tempfile.TemporaryDirectory() as root:
        for rel, text in tree.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as fh:
                fh.write(text)
        got = check(root)
    missing = [e for e in expect if e not in got]
    extra = [g for g in got if g not in expect]
    for e in missing:
        print("self-test: not reported: " + e)
    for g in extra:
        print("self-test: reported but not expected: " + g)
    if missing or extra:
        return 1
    print("check_layers self-test: %d violations reported as expected" % len(expect))
    return 0


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip().split("\n\n")[2], file=sys.stderr)
        return 2
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) == 2 else os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))
    if not os.path.isdir(os.path.join(root, "daemon")):
        print("check_layers: %s has no daemon/ folder" % root, file=sys.stderr)
        return 2
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print("check_layers: %d include(s) break the layer rule (docs/ARCHITECTURE.md)"
              % len(errors))
        return 1
    print("check_layers: daemon/, common/, client/ and bench/ follow the layer rule")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
