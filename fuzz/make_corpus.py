#!/usr/bin/env python3
"""fuzz/make_corpus.py: writes the seed corpus fuzz/corpus/ (one file per interesting request).

Each file is: one byte choosing how the fuzzer cuts the rest into reads, then wire frames.
Protobuf is encoded by hand here (varint, length-delimited) so no protobuf runtime is needed.
"""
import os
import struct

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def field(num, wt, payload):
    key = varint((num << 3) | wt)
    if wt == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload

def s(num, text):
    return field(num, 2, text.encode() if isinstance(text, str) else text)

def request(call_id, method, body=b"", timeout=0, meta=None):
    m = field(1, 0, call_id) + s(2, method)
    for k, v in (meta or {}).items():
        m += field(3, 2, s(1, k) + s(2, v))
    if timeout:
        m += field(4, 0, timeout)
    if body:
        m += s(5, body)
    return m

def frame(payload, flags=0):
    return struct.pack(">BI", flags, len(payload)) + payload

cases = {
    "health": frame(request(1, "/isms.v1.System/Health")),
    "info": frame(request(2, "/isms.v1.System/Info")),
    "context_get": frame(request(3, "/isms.v1.Context/Get", timeout=100)),
    "context_update": frame(request(4, "/isms.v1.Context/Update",
                                    s(1, "Acme") + s(2, "all") + field(3, 0, 2) +
                                    field(4, 0, 1) + field(5, 0, 1))),
    "party_add": frame(request(5, "/isms.v1.Context/AddParty",
                               s(1, "Regulator") + s(2, "external") + s(3, "GDPR"))),
    "party_remove": frame(request(6, "/isms.v1.Context/RemoveParty", s(1, "P-1"))),
    "issue_add": frame(request(7, "/isms.v1.Context/AddIssue", s(1, "internal") + s(2, "x"))),
    "issue_remove": frame(request(8, "/isms.v1.Context/RemoveIssue", s(1, "I-9"))),
    "bad_utf8": frame(request(9, "/isms.v1.Context/AddParty", s(1, b"\xc3\x28"))),
    "unknown": frame(request(10, "/isms.v1.Nope/Nope")),
    "bad_body": frame(request(11, "/isms.v1.Context/AddParty", b"\xff\xff\xff")),
    "compressed": frame(request(12, "/isms.v1.System/Health"), flags=1),
    "pipelined": b"".join(frame(request(i, "/isms.v1.System/Info")) for i in range(20)),
    "zero_len": frame(b""),
    "huge_len": b"\x00\xff\xff\xff\xff",
    "auth_meta": frame(request(13, "/isms.v1.System/Health", meta={"authorization": "Bearer x"})),
}

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus")
    os.makedirs(out, exist_ok=True)
    for i, (name, data) in enumerate(sorted(cases.items())):
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([i * 37 % 256]) + data)
    print(f"wrote {len(cases)} seeds to {out}")

if __name__ == "__main__":
    main()
