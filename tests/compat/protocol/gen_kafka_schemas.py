#!/usr/bin/python3
"""Regenerates kafka_message_schemas.json from Apache Kafka's message definitions.

  gen_kafka_schemas.py KAFKA_GIT_DIR > kafka_message_schemas.json

KAFKA_GIT_DIR is a clone (or bare git dir) of apache/kafka; the files are read from HEAD of
clients/src/main/resources/common/message/. Only the APIs Meridian implements are kept, with
their fields (name, type, versions, nullableVersions, nested fields; commonStructs inlined).
Tagged fields are dropped: Meridian implements non-flexible versions only.
"""
import json
import subprocess
import sys

APIS = ["ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets", "OffsetForLeaderEpoch",
        "CreateTopics", "DeleteTopics", "LeaderAndIsr", "StopReplica", "FindCoordinator",
        "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch",
        "ListGroups", "DescribeGroups", "DeleteGroups", "InitProducerId", "DescribeConfigs",
        "AlterConfigs", "CreatePartitions", "DeleteRecords", "ControlledShutdown"]
PREFIX = "clients/src/main/resources/common/message/"


def load(git_dir, name):
    text = subprocess.check_output(["git", "-C", git_dir, "show", "HEAD:" + PREFIX + name + ".json"])
    lines = [l for l in text.decode().split("\n") if not l.strip().startswith("//")]
    return json.loads("\n".join(lines))


def fields(raw, structs):
    out = []
    for f in raw:
        if "taggedVersions" in f:
            continue
        sub = f.get("fields")
        if sub is None and f["type"].lstrip("[]") in structs:
            sub = structs[f["type"].lstrip("[]")]
        item = {"name": f["name"], "type": f["type"], "versions": f["versions"]}
        if f.get("nullableVersions"):
            item["nullableVersions"] = f["nullableVersions"]
        if sub is not None:
            item["fields"] = fields(sub, structs)
        out.append(item)
    return out


def main(git_dir):
    result = []
    for api in APIS:
        for kind in ("Request", "Response"):
            d = load(git_dir, api + kind)
            structs = {c["name"]: c["fields"] for c in d.get("commonStructs", [])}
            result.append({"name": api + kind, "apiKey": d["apiKey"], "kind": kind.lower(),
                           "validVersions": d["validVersions"],
                           "flexibleVersions": d["flexibleVersions"],
                           "fields": fields(d["fields"], structs)})
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
