#!/usr/bin/python3
"""Cross-implementation check of the RecordBatch v2 codec against kafka-python 2.0.2.

  kafka_python_interop.py write DIR   kafka-python builds batches (every codec it supports) into
                                      DIR/<name>.bin and describes them in DIR/expected.json
  kafka_python_interop.py read DIR    parses DIR/<name>.bin written by Meridian with kafka-python
                                      (validate_crc too) and compares with DIR/expected.json

Run by the C++ test record_interop_test. Exit codes: 0 ok, 1 mismatch, 2 usage, 3 kafka-python
or a codec library missing (the C++ test treats that as a failure, not a skip).
Bytes (keys, values, header keys and values) are hex strings in the JSON; null is null.
"""

import json
import os
import struct
import sys

try:
    from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
    from kafka.record.memory_records import MemoryRecords
    from kafka.record.util import calc_crc32c
    import kafka.codec as codecs
except ImportError as exc:  # pragma: no cover - environment problem
    print("kafka-python is missing: %s" % exc, file=sys.stderr)
    sys.exit(3)

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
HAS_CODEC = {0: lambda: True, 1: codecs.has_gzip, 2: codecs.has_snappy, 3: codecs.has_lz4,
             4: codecs.has_zstd}
HEADER = DefaultRecordBatch.HEADER_STRUCT


def hexy(b):
    return None if b is None else bytes(b).hex()


def unhex(s):
    return None if s is None else bytes.fromhex(s)


def header_fields(buf):
    (base_offset, length, leader_epoch, magic, crc, attributes, last_offset_delta, base_ts,
     max_ts, producer_id, producer_epoch, base_sequence, count) = HEADER.unpack_from(buf)
    return {
        "base_offset": base_offset, "batch_length": length, "leader_epoch": leader_epoch,
        "magic": magic, "attributes": attributes & 0xFFFF,
        "last_offset_delta": last_offset_delta, "base_timestamp": base_ts,
        "max_timestamp": max_ts, "producer_id": producer_id, "producer_epoch": producer_epoch,
        "base_sequence": base_sequence, "records_count": count,
    }


def records_of(batch):
    out = []
    for r in batch:
        out.append({
            "offset": r.offset,
            "timestamp": r.timestamp,
            "key": hexy(r.key),
            "value": hexy(r.value),
            "headers": [[k.encode("utf-8").hex(), hexy(v)] for k, v in r.headers],
        })
    return out


def sample_records(seed, n):
    """Keys, values and headers covering null, empty, text, binary; timestamps not monotonic."""
    recs = []
    for i in range(n):
        kind = (i + seed) % 5
        key = [None, b"", b"key-%d" % i, bytes([i % 256, 0, 255]), b"k" * 40][kind]
        value = [b"value %d " % i * 20, None, b"", bytes(range(256)) * 3,
                 ("\u00e9t\u00e9 %d" % i).encode("utf-8") * 10][(i * 3 + seed) % 5]
        headers = []
        if i % 3 == 0:
            headers = [("trace-id", b"%08x" % (i * 7919)), ("null-value", None), ("", b"")]
        elif i % 3 == 1:
            headers = [("\u00fcber", b"\x00\x01")]
        ts = 1700000000000 + seed * 1000 + (i * 37) % 101 - 50
        recs.append((i, ts, key, value, headers))
    return recs


def build(codec, recs, producer_id=-1, producer_epoch=-1, base_sequence=-1, transactional=False):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=transactional,
                                  producer_id=producer_id, producer_epoch=producer_epoch,
                                  base_sequence=base_sequence, batch_size=1 << 24)
    for offset, ts, key, value, headers in recs:
        if b.append(offset, ts, key, value, headers) is None:
            raise RuntimeError("record did not fit")
    return bytes(b.build())


def set_header(buf, pos, fmt, value):
    buf = bytearray(buf)
    struct.pack_into(fmt, buf, pos, value)
    return bytes(buf)


def resign(buf):
    buf = bytearray(buf)
    struct.pack_into(">I", buf, DefaultRecordBatch.CRC_OFFSET,
                     calc_crc32c(bytes(buf[DefaultRecordBatch.ATTRIBUTES_OFFSET:])))
    return bytes(buf)


def describe(name, buf):
    batch = DefaultRecordBatch(buf)
    if not batch.validate_crc():
        raise RuntimeError("kafka-python wrote a batch with a bad CRC: %s" % name)
    desc = header_fields(buf)
    desc["file"] = name + ".bin"
    desc["crc"] = batch.crc
    desc["records"] = records_of(DefaultRecordBatch(buf))
    return desc


def cmd_write(out_dir):
    batches = []

    def emit(name, buf):
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(buf)
        batches.append(describe(name, buf))

    for codec, name in CODECS.items():
        if not HAS_CODEC[codec]():
            print("kafka-python lacks codec %s" % name, file=sys.stderr)
            return 3
        buf = build(codec, sample_records(codec, 60), producer_id=4000 + codec, producer_epoch=2,
                    base_sequence=100 * codec, transactional=(codec == 1))
        if buf[22] & 0x07 != codec:
            raise RuntimeError("kafka-python fell back to no compression for %s" % name)
        emit(name, buf)

    # Offsets with gaps, as after compaction, at a broker-assigned base offset and epoch.
    gaps = [(d, 1600000000000 + d, b"k%d" % d, b"v%d" % d, []) for d in (0, 2, 5, 6, 40)]
    buf = build(0, gaps)
    buf = set_header(buf, 0, ">q", 123456789012)
    buf = set_header(buf, 12, ">i", 17)
    emit("gaps", buf)

    # LogAppendTime: the broker sets attribute bit 3 and maxTimestamp, then re-signs.
    buf = build(3, sample_records(7, 10))
    attrs = struct.unpack_from(">h", buf, 21)[0] | 0x08
    buf = set_header(buf, 21, ">h", attrs)
    buf = resign(set_header(buf, 35, ">q", 1800000000000))
    emit("log_append_time", buf)

    # One record holding a 300 KiB value: several snappy/lz4 blocks.
    big = bytes((i * 31 + i // 1000) % 256 for i in range(300 * 1024))
    emit("big_snappy", build(2, [(0, 1, b"big", big, [("h", b"x")])]))

    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump({"batches": batches}, f, indent=1)
    return 0


def compare(name, want, got):
    if want != got:
        print("%s: mismatch\n want %s\n  got %s" % (name, json.dumps(want)[:2000],
                                                   json.dumps(got)[:2000]), file=sys.stderr)
        return 1
    return 0


def cmd_read(in_dir):
    with open(os.path.join(in_dir, "expected.json")) as f:
        expected = json.load(f)
    failures = 0
    checked = 0
    for want in expected["batches"]:
        with open(os.path.join(in_dir, want["file"]), "rb") as f:
            data = f.read()
        # MemoryRecords walks concatenated batches by their length field, as a consumer does.
        mr = MemoryRecords(data)
        for i, want_batch in enumerate(want["batches"]):
            batch = mr.next_batch()
            if batch is None:
                print("%s: only %d batches" % (want["file"], i), file=sys.stderr)
                failures += 1
                break
            name = "%s[%d]" % (want["file"], i)
            if not batch.validate_crc():
                print("%s: kafka-python says the CRC is invalid" % name, file=sys.stderr)
                failures += 1
                continue
            got = {k: v for k, v in header_fields(batch._buffer).items() if k in want_batch}
            got_records = records_of(batch)
            failures += compare(name + " header", {k: v for k, v in want_batch.items()
                                                   if k != "records"}, got)
            failures += compare(name + " records", want_batch["records"], got_records)
            checked += 1
        if mr.has_next():
            print("%s: trailing batches" % want["file"], file=sys.stderr)
            failures += 1
    print("kafka-python parsed %d Meridian batches, %d failures" % (checked, failures))
    return 1 if failures else 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("write", "read"):
        print(__doc__, file=sys.stderr)
        return 2
    return cmd_write(argv[2]) if argv[1] == "write" else cmd_read(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
