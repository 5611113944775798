#!/usr/bin/python3
"""Cross-implementation checks of Meridian's Kafka codec against python3-kafka's kafka.protocol.

  generate OUTDIR  encode requests and responses of every API/version kafka-python knows with
                   seeded random values; write <name>.bin files and manifest.json listing
                   {api_key, version, kind, file, value} where value is the message in
                   positional JSON (see below). Also writes one full request with a header.
  check DIR        read DIR/manifest.json written by the C++ test, decode every .bin with the
                   matching kafka-python class and compare with its positional JSON value.
                   Exits 1 on any mismatch, or when nothing could be checked.

Positional JSON: a struct is the list of its field values in wire order; a struct with exactly
one field collapses to that value; bytes are lowercase hex; null is null. The C++ side
(tests/unit/cluster/protocol/test_io.h, JsonDumper) produces the same shape.

Run with Debian's /usr/bin/python3 (python3-kafka 2.0.2). A missing module is an error.
"""
import importlib
import io
import json
import os
import random
import sys

from kafka.protocol.api import Request, RequestHeader
from kafka.protocol.types import Array, Boolean, Bytes, Int8, Int16, Int32, Int64, Schema, String

MODULES = ["admin", "commit", "fetch", "group", "metadata", "offset", "produce"]

# Schemas where kafka-python 2.0.2 disagrees with Kafka's own message definitions
# (clients/src/main/resources/common/message/*.json), which Meridian follows. Neither direction
# is checked for these. kafka-python's clients avoid them (its producer stops at Produce v7, its
# consumer at ListOffsets v3, its admin client at FindCoordinator v0), except DescribeGroups v3,
# where a response with one group has the same bytes in both layouts.
KNOWN_KAFKA_PYTHON_BUGS = {
    (0, 8, "response"): "record_errors/error_message at topic level; Kafka has them per partition",
    (2, 4, "request"): "current_leader_epoch declared Int64; Kafka's is int32",
    (2, 5, "request"): "current_leader_epoch declared Int64; Kafka's is int32",
    (10, 1, "response"): "throttle_time_ms missing; Kafka has it from v1",
    (15, 3, "response"): "authorized_operations after the groups array; Kafka has it per group",
    (32, 1, "response"): "config_source declared Boolean; Kafka's is int8",
    (32, 2, "response"): "config_source declared Boolean; Kafka's is int8",
}


def request_classes():
    """{(api_key, version): RequestClass} for every request kafka-python defines."""
    found = {}
    for name in MODULES:
        mod = importlib.import_module("kafka.protocol." + name)
        for obj in vars(mod).values():
            if isinstance(obj, list) and obj and isinstance(obj[0], type) \
                    and issubclass(obj[0], Request):
                for version, cls in enumerate(obj):
                    found[(cls.API_KEY, version)] = cls
    return found


def encodable(typ):
    """False for schemas that name the String class instead of an instance: kafka-python 2.0.2
    cannot encode or decode those (Fetch v7+ forgotten_topics_data), so they stay empty."""
    if typ is String:
        return False
    if isinstance(typ, Schema):
        return all(encodable(t) for t in typ.fields)
    if isinstance(typ, Array):
        return encodable(typ.array_of)
    return True


def random_value(rng, typ):
    if isinstance(typ, Schema):
        return tuple(random_value(rng, t) for t in typ.fields)
    if isinstance(typ, Array):
        if not encodable(typ.array_of):
            return []
        return [random_value(rng, typ.array_of) for _ in range(rng.randint(1, 3))]
    if isinstance(typ, String):
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(0, 8)))
    if typ is Bytes or isinstance(typ, Bytes):
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 8)))
    if typ is Boolean:
        return rng.random() < 0.5
    bits = {Int8: 8, Int16: 16, Int32: 32, Int64: 64}[typ]
    return rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def positional(typ, value):
    if isinstance(typ, Schema):
        out = []
        for t, v in zip(typ.fields, value):
            if isinstance(t, Schema):
                # A struct nested directly in a struct (CreatePartitions' new_partitions) has no
                # wire footprint of its own: splice its fields into the parent.
                inner = positional(t, v)
                out.extend(inner if isinstance(inner, list) and len(t.fields) > 1 else [inner])
            else:
                out.append(positional(t, v))
        return out[0] if len(out) == 1 else out
    if value is None:
        return None
    if isinstance(typ, Array):
        return [positional(typ.array_of, v) for v in value]
    if typ is Bytes or isinstance(typ, Bytes):
        return bytes(value).hex()
    if typ is Boolean:
        return bool(value)
    return value


def struct_values(obj):
    return tuple(getattr(obj, name) for name in obj.SCHEMA.names)


def generate(outdir):
    rng = random.Random(20240611)
    manifest = []
    for (api_key, version), req_cls in sorted(request_classes().items()):
        for kind, cls in (("request", req_cls), ("response", req_cls.RESPONSE_TYPE)):
            if (api_key, version, kind) in KNOWN_KAFKA_PYTHON_BUGS:
                continue
            for seed in range(3):
                values = random_value(rng, cls.SCHEMA)
                msg = cls(*values)  # keep a reference: Struct.encode is a weak method
                data = msg.encode()
                fname = "py_%d_v%d_%s_%d.bin" % (api_key, version, kind, seed)
                with open(os.path.join(outdir, fname), "wb") as f:
                    f.write(data)
                manifest.append({"api_key": api_key, "version": version, "kind": kind,
                                 "file": fname, "value": positional(cls.SCHEMA, values)})
    # One whole request (header v1 + body) to check header parsing.
    classes = request_classes()
    req = classes[(3, 1)](topics=["orders", "payments"])
    header = RequestHeader(req, correlation_id=424242, client_id="compat-client")
    header_bytes, body_bytes = header.encode(), req.encode()
    with open(os.path.join(outdir, "py_frame.bin"), "wb") as f:
        f.write(header_bytes + body_bytes)
    manifest.append({"api_key": 3, "version": 1, "kind": "frame", "file": "py_frame.bin",
                     "correlation_id": 424242, "client_id": "compat-client",
                     "value": ["orders", "payments"]})
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    print("generated %d entries" % len(manifest))
    return 0


def check(indir):
    classes = request_classes()
    with open(os.path.join(indir, "manifest.json")) as f:
        manifest = json.load(f)
    checked, skipped, failures = 0, 0, []
    for entry in manifest:
        key = (entry["api_key"], entry["version"])
        if key not in classes or key + (entry["kind"],) in KNOWN_KAFKA_PYTHON_BUGS:
            skipped += 1
            continue
        cls = classes[key] if entry["kind"] == "request" else classes[key].RESPONSE_TYPE
        with open(os.path.join(indir, entry["file"]), "rb") as f:
            data = f.read()
        where = "%s api_key=%d v%d %s" % (entry["file"], key[0], key[1], entry["kind"])
        try:
            buf = io.BytesIO(data)
            obj = cls.decode(buf)
            if buf.tell() != len(data):
                failures.append("%s: %d trailing bytes" % (where, len(data) - buf.tell()))
                continue
            got = positional(cls.SCHEMA, struct_values(obj))
        except Exception as e:  # a decode failure is a mismatch, not a crash of the checker
            failures.append("%s: kafka-python could not decode: %r" % (where, e))
            continue
        if got != entry["value"]:
            failures.append("%s:\n  kafka-python: %s\n  meridian:     %s"
                            % (where, json.dumps(got), json.dumps(entry["value"])))
        checked += 1
    for msg in failures:
        print("MISMATCH " + msg, file=sys.stderr)
    print("checked %d entries, %d skipped (unknown to kafka-python or a known bug), %d mismatches"
          % (checked, skipped, len(failures)))
    return 1 if failures or checked == 0 else 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("generate", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    return generate(argv[2]) if argv[1] == "generate" else check(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
