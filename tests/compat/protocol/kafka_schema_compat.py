#!/usr/bin/python3
"""Checks Meridian's codec against Apache Kafka's own message definitions.

kafka_message_schemas.json (made by gen_kafka_schemas.py from apache/kafka's
clients/src/main/resources/common/message/*.json) describes every field of every version. This
script encodes and decodes messages from that description alone, independently of both the C++
io() functions and kafka-python, for every non-flexible version of every API Meridian has.

  generate OUTDIR  random messages for every (API, non-flexible version, request/response);
                   writes <name>.bin and manifest.json in the format of kafka_python_compat.py
  check DIR        decodes every entry of DIR/manifest.json (written by the C++ test) with the
                   schema and compares with its positional JSON value; exit 1 on any mismatch
"""
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INTS = {"int8": "b", "int16": "h", "int32": "i", "int64": "q"}


def version_range(spec):
    if spec == "none":
        return (1, 0)
    if spec.endswith("+"):
        return (int(spec[:-1]), 1 << 15)
    lo, _, hi = spec.partition("-")
    return (int(lo), int(hi or lo))


def in_range(spec, v):
    if spec is None:
        return False
    lo, hi = version_range(spec)
    return lo <= v <= hi


def present(fields, v):
    return [f for f in fields if in_range(f["versions"], v)]


def load_schemas():
    with open(os.path.join(HERE, "kafka_message_schemas.json")) as f:
        schemas = json.load(f)
    out = {}
    for s in schemas:
        lo, hi = version_range(s["validVersions"])
        # "none": no flexible version at all (e.g. ControlledShutdownRequest).
        flex = s["flexibleVersions"]
        flex_lo = 1 << 15 if flex == "none" else version_range(flex)[0]
        out[(s["apiKey"], s["kind"])] = (s, range(lo, min(hi, flex_lo - 1) + 1))
    return out


class Gen:
    def __init__(self, rng, v):
        self.rng, self.v = rng, v

    def value(self, f):
        """Returns (positional value, bytes) for field f."""
        t, v, rng = f["type"], self.v, self.rng
        nullable = in_range(f.get("nullableVersions"), v)
        if nullable and rng.random() < 0.2:
            width = 2 if t == "string" else 4
            return None, struct.pack(">h" if width == 2 else ">i", -1)
        if t.startswith("[]"):
            n = rng.randint(1, 3)
            items = [self.element(f, t[2:]) for _ in range(n)]
            return [i[0] for i in items], struct.pack(">i", n) + b"".join(i[1] for i in items)
        if t in INTS:
            bits = struct.calcsize(INTS[t]) * 8
            x = rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            return x, struct.pack(">" + INTS[t], x)
        if t == "bool":
            x = rng.random() < 0.5
            return x, bytes([int(x)])
        if t == "string":
            s = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(0, 8)))
            return s, struct.pack(">h", len(s)) + s.encode()
        if t in ("bytes", "records"):
            b = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 8)))
            return b.hex(), struct.pack(">i", len(b)) + b
        raise ValueError("type %s in a non-flexible version" % t)

    def element(self, f, t):
        if "fields" in f:
            return self.struct(f["fields"])
        return self.value({"type": t, "versions": "0+"})

    def struct(self, fields):
        parts = [self.value(f) for f in present(fields, self.v)]
        values = [p[0] for p in parts]
        return (values[0] if len(values) == 1 else values), b"".join(p[1] for p in parts)


class Parser:
    def __init__(self, data, v):
        self.data, self.pos, self.v = data, 0, v

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated at %d" % self.pos)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt):
        return struct.unpack(">" + fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self, f, t=None):
        t = t or f["type"]
        nullable = in_range(f.get("nullableVersions"), self.v)
        if t.startswith("[]"):
            n = self.unpack("i")
            if n == -1 and nullable:
                return None
            if n < 0:
                raise ValueError("bad count %d" % n)
            if "fields" in f:
                return [self.struct(f["fields"]) for _ in range(n)]
            return [self.value({"versions": "0+"}, t[2:]) for _ in range(n)]
        if t in INTS:
            return self.unpack(INTS[t])
        if t == "bool":
            return self.unpack("b") != 0
        if t == "string":
            n = self.unpack("h")
            if n == -1 and nullable:
                return None
            return self.take(n).decode()
        if t in ("bytes", "records"):
            n = self.unpack("i")
            if n == -1 and nullable:
                return None
            return self.take(n).hex()
        raise ValueError("type %s in a non-flexible version" % t)

    def struct(self, fields):
        values = [self.value(f) for f in present(fields, self.v)]
        return values[0] if len(values) == 1 else values


def generate(outdir):
    rng = random.Random(20241025)
    manifest = []
    for (api_key, kind), (schema, versions) in sorted(load_schemas().items()):
        for v in versions:
            for seed in range(4):
                value, data = Gen(rng, v).struct(schema["fields"])
                if not schema["fields"]:
                    value = []
                fname = "kj_%d_v%d_%s_%d.bin" % (api_key, v, kind, seed)
                with open(os.path.join(outdir, fname), "wb") as f:
                    f.write(data)
                manifest.append({"api_key": api_key, "version": v, "kind": kind,
                                 "file": fname, "value": value})
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    print("generated %d entries" % len(manifest))
    return 0


def check(indir):
    schemas = load_schemas()
    with open(os.path.join(indir, "manifest.json")) as f:
        manifest = json.load(f)
    checked, failures = 0, []
    for entry in manifest:
        key = (entry["api_key"], entry["kind"])
        schema, versions = schemas[key]
        where = "%s api_key=%d v%d %s" % (entry["file"], key[0], entry["version"], key[1])
        if entry["version"] not in versions:
            failures.append("%s: not a non-flexible version in Kafka's schema" % where)
            continue
        with open(os.path.join(indir, entry["file"]), "rb") as f:
            data = f.read()
        try:
            p = Parser(data, entry["version"])
            got = p.struct(schema["fields"]) if schema["fields"] else []
            if p.pos != len(data):
                raise ValueError("%d trailing bytes" % (len(data) - p.pos))
        except (ValueError, UnicodeDecodeError, struct.error) as e:
            failures.append("%s: %s" % (where, e))
            continue
        if got != entry["value"]:
            failures.append("%s:\n  kafka schema: %s\n  meridian:     %s"
                            % (where, json.dumps(got), json.dumps(entry["value"])))
        checked += 1
    for msg in failures:
        print("MISMATCH " + msg, file=sys.stderr)
    print("checked %d entries, %d mismatches" % (checked, len(failures)))
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("generate", "check"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(generate(sys.argv[2]) if sys.argv[1] == "generate" else check(sys.argv[2]))
