#!/usr/bin/env python3
"""schema/gen_annex_a.py - writes the Annex A seed of schema/011_controls.sql.

Reads schema/reference/annex_a_2022.csv (ISO/IEC 27001:2022 Annex A with the ISO/IEC
27002:2022 attributes; see schema/reference/README.md for its provenance) and replaces the
text between the "-- BEGIN GENERATED" and "-- END GENERATED" lines of 011_controls.sql with one
INSERT of the 93 controls. The CSV is checked first (93 unique ids, theme by section, 37/8/14/34
per theme, every attribute value from the ISO/IEC 27002 vocabulary), so a bad file never
reaches a migration.

    schema/gen_annex_a.py           rewrite 011_controls.sql
    schema/gen_annex_a.py --check   exit 1 if 011_controls.sql is not what the CSV gives

Migrations are never edited once merged: after 011 has shipped, regenerate only into a new
migration.
"""

import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CSV_PATH = os.path.join(HERE, "reference", "annex_a_2022.csv")
SQL_PATH = os.path.join(HERE, "011_controls.sql")
BEGIN = "-- BEGIN GENERATED"
END = "-- END GENERATED"
SOURCE = "ISO/IEC 27001:2022 Annex A"

HEADER = ["id", "theme", "title", "control_type", "security_properties",
          "cybersecurity_concepts", "operational_capabilities", "security_domains"]
THEMES = {"5": "Organizational", "6": "People", "7": "Physical", "8": "Technological"}
THEME_COUNTS = {"Organizational": 37, "People": 8, "Physical": 14, "Technological": 34}
VOCABULARY = {
    "control_type": ["Preventive", "Detective", "Corrective"],
    "security_properties": ["Confidentiality", "Integrity", "Availability"],
    "cybersecurity_concepts": ["Identify", "Protect", "Detect", "Respond", "Recover"],
    "operational_capabilities": [
        "Governance", "Asset_management", "Information_protection", "Human_resource_security",
        "Physical_security", "System_and_network_security", "Application_security",
        "Secure_configuration", "Identity_and_access_management",
        "Threat_and_vulnerability_management", "Continuity", "Supplier_relationships_security",
        "Legal_and_compliance", "Information_security_event_management",
        "Information_security_assurance"],
    "security_domains": ["Governance_and_Ecosystem", "Protection", "Defence", "Resilience"],
}


def fail(msg):
    sys.stderr.write("gen_annex_a.py: %s\n" % msg)
    sys.exit(2)


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def sql_array(values):
    # Vocabulary values are [A-Za-z_]+, so the array literal needs no quoting.
    return "'{" + ",".join(values) + "}'"


def read_controls():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != HEADER:
        fail("%s: header must be %s" % (CSV_PATH, ",".join(HEADER)))
    controls, seen = [], set()
    counts = {t: 0 for t in THEME_COUNTS}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(HEADER):
            fail("line %d: %d cells, expected %d" % (line, len(row), len(HEADER)))
        rec = dict(zip(HEADER, row))
        m = re.fullmatch(r"([5-8])\.([0-9]{1,2})", rec["id"])
        if m is None:
            fail("line %d: id %r is not an Annex A id like 5.1" % (line, rec["id"]))
        if rec["id"] in seen:
            fail("line %d: id %s appears twice" % (line, rec["id"]))
        seen.add(rec["id"])
        if rec["theme"] != THEMES[m.group(1)]:
            fail("line %d: %s has theme %r, expected %s" %
                 (line, rec["id"], rec["theme"], THEMES[m.group(1)]))
        if not rec["title"].strip() or rec["title"] != rec["title"].strip():
            fail("line %d: title of %s is empty or padded" % (line, rec["id"]))
        counts[rec["theme"]] += 1
        attrs = {}
        for key, vocab in VOCABULARY.items():
            values = rec[key].split(";") if rec[key] else []
            if not values:
                fail("line %d: %s has no %s" % (line, rec["id"], key))
            for v in values:
                if v not in vocab:
                    fail("line %d: %s: %r is not a %s value" % (line, rec["id"], v, key))
            if len(set(values)) != len(values):
                fail("line %d: %s: %s repeats a value" % (line, rec["id"], key))
            attrs[key] = sorted(values, key=vocab.index)
        controls.append((int(m.group(1)) * 1000 + int(m.group(2)), rec, attrs))
    if counts != THEME_COUNTS:
        fail("controls per theme are %s, expected %s" % (counts, THEME_COUNTS))
    controls.sort(key=lambda c: c[0])
    return controls


def render(controls):
    out = [BEGIN + " by schema/gen_annex_a.py from schema/reference/annex_a_2022.csv;"
           " do not edit by hand",
           "INSERT INTO control (id, is_custom, theme, title, sort_key, control_type,"
           " security_properties,",
           "                     cybersecurity_concepts, operational_capabilities,"
           " security_domains, source)",
           "VALUES"]
    for i, (key, rec, attrs) in enumerate(controls):
        sep = "," if i + 1 < len(controls) else ""
        out.append("    (%s, false, %s, %s, %d," %
                   (sql_text(rec["id"]), sql_text(rec["theme"]), sql_text(rec["title"]), key))
        out.append("     %s, %s, %s," % (sql_array(attrs["control_type"]),
                                          sql_array(attrs["security_properties"]),
                                          sql_array(attrs["cybersecurity_concepts"])))
        out.append("     %s," % sql_array(attrs["operational_capabilities"]))
        out.append("     %s, %s)%s" % (sql_array(attrs["security_domains"]), sql_text(SOURCE),
                                        sep))
    out.append("ON CONFLICT (id) DO NOTHING;")
    out.append(END)
    return "\n".join(out) + "\n"


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        fail("usage: gen_annex_a.py [--check]")
    with open(SQL_PATH, encoding="utf-8") as f:
        text = f.read()
    start = text.find(BEGIN)
    end = text.find(END)
    if start < 0 or end < start:
        fail("%s has no %r ... %r block" % (SQL_PATH, BEGIN, END))
    end = text.index("\n", end) + 1
    new = text[:start] + render(read_controls()) + text[end:]
    if check:
        if new != text:
            sys.stderr.write("gen_annex_a.py: 011_controls.sql is out of date with the CSV\n")
            return 1
        return 0
    if new != text:
        with open(SQL_PATH, "w", encoding="utf-8") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
