#!/usr/bin/env python3
"""tests/check_man.py SOURCE_DIR — the man pages against the code they describe.

- docs/man/ismsd.conf.5.scd documents every key of daemon/core/config.c's settings table
  (opts[]) with its default, as a line "*key* = _VALUE_ (default: DEFAULT)" ("empty" for an
  empty default), and documents no key the table does not have;
- deploy/ismsd.conf.example names every key too;
- docs/man/ismsctl.1.scd has a COMMANDS entry for every noun of client/main.c's isms_nouns[].

Run with --self-test to see each rule fail on a doctored copy.
"""
import re
import sys
from pathlib import Path

ENTRY = re.compile(r'\{\s*"([a-z0-9_]+)",\s*T_[A-Z0-9]+,(.*?)\}', re.S)
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
SCD_KEY = re.compile(r'^\*([a-z0-9\\_]+)\* = _[^_]+_ \(default: ([^)]*)\)$', re.M)


def config_table(config_c):
    """[(key, default)] from config.c's opts[] (the default is the entry's first string)."""
    body = config_c[config_c.index('static const struct opt opts[]'):]
    body = body[:body.index('};')]
    out = []
    for m in ENTRY.finditer(body):
        strings = STRING.findall(m.group(2))
        if not strings:
            raise SystemExit(f'config.c: no default found for "{m.group(1)}"')
        out.append((m.group(1), strings[0]))
    return out


def nouns(main_c):
    body = main_c[main_c.index('isms_nouns[] = {'):]
    body = body[:body.index('};')]
    return re.findall(r'&isms_noun_([a-z0-9_]+)', body)


def check(config_c, conf_scd, example, main_c, ctl_scd):
    errors = []
    table = config_table(config_c)
    if len(table) < 20:
        errors.append(f'config.c: only {len(table)} settings found; has the table changed shape?')
    documented = {k.replace('\\_', '_'): d for k, d in SCD_KEY.findall(conf_scd)}
    for key, default in table:
        want = default if default != '' else 'empty'
        if key not in documented:
            errors.append(f'ismsd.conf.5.scd: no entry "*{key}* = _VALUE_ (default: {want})"')
        elif documented[key] != want:
            errors.append(f'ismsd.conf.5.scd: {key}: default "{documented[key]}", '
                          f'config.c says "{want}"')
        if not re.search(r'^#? ?' + re.escape(key) + r' = ', example, re.M):
            errors.append(f'deploy/ismsd.conf.example: no line "{key} = ..." or "# {key} = ..."')
    known = {k for k, _ in table}
    for key in documented:
        if key not in known:
            errors.append(f'ismsd.conf.5.scd: documents "{key}", which config.c does not have')
    ns = nouns(main_c)
    if len(ns) < 5:
        errors.append(f'client/main.c: only {len(ns)} nouns found in isms_nouns[]')
    for n in ns:
        if not re.search(r'^\*' + re.escape(n.replace('_', '\\_')) + r'\*', ctl_scd, re.M):
            errors.append(f'ismsctl.1.scd: no COMMANDS entry for the noun "{n}" (a line "*{n}*")')
    return errors, len(table), len(ns)


def load(root):
    r = Path(root)
    return ((r / 'daemon/core/config.c').read_text(), (r / 'docs/man/ismsd.conf.5.scd').read_text(),
            (r / 'deploy/ismsd.conf.example').read_text(), (r / 'client/main.c').read_text(),
            (r / 'docs/man/ismsctl.1.scd').read_text())


def self_test(root):
    """Each rule must be able to fail."""
    config_c, conf_scd, example, main_c, ctl_scd = load(root)
    cases = {
        'missing key': (config_c, conf_scd.replace('*pool\\_size* =', '*pool\\_sizes* ='),
                        example, main_c, ctl_scd),
        'wrong default': (config_c, conf_scd.replace('(default: 4096)', '(default: 4095)'),
                          example, main_c, ctl_scd),
        'new key in config.c': (config_c.replace('{"pool_size", T_U32',
                                                 '{"pool_sizz", T_U32, 0, "7"},\n{"pool_size", T_U32'),
                                conf_scd, example, main_c, ctl_scd),
        'key not in example': (config_c, conf_scd, example.replace('pool_size =', 'pool_sized ='),
                               main_c, ctl_scd),
        'new noun': (config_c, conf_scd, example,
                     main_c.replace('&isms_noun_risk,', '&isms_noun_risk, &isms_noun_watch,'),
                     ctl_scd),
    }
    bad = 0
    for name, args in cases.items():
        errors, _, _ = check(*args)
        print(f'self-test {name}: {"caught: " + errors[0] if errors else "NOT CAUGHT"}')
        bad += not errors
    errors, _, _ = check(config_c, conf_scd, example, main_c, ctl_scd)
    if errors:
        print('the tree itself fails:', *errors, sep='\n  ')
        bad += 1
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    if args and args[0] == '--self-test':
        return self_test(args[1])
    if len(args) != 1:
        print(__doc__)
        return 2
    errors, nkeys, nnouns = check(*load(args[0]))
    for e in errors:
        print(e)
    if errors:
        return 1
    print(f'man pages: {nkeys} settings with their defaults, {nnouns} nouns documented')
    return 0


if __name__ == '__main__':
    sys.exit(main())
