"""Consumer-group benchmark with kafka-python (python3-kafka), one run:
  1. writes N records of S bytes to a 6-partition topic,
  2. three consumer processes in one group read them all: aggregate MB/s,
  3. one member is SIGKILLed: time until the two survivors own all six partitions again
     (session timeout + rebalance), and one member leaves cleanly (LeaveGroup) for comparison.
usage: group_bench.py <bootstrap> [records] [record_bytes] [session_timeout_ms]
Prints one JSON object. Not a test: bench/groups.sh runs it against `meridian dev`."""
import json
import os
import signal
import subprocess
import sys
import time

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic


def member(boot, topic, group, session_ms):
    """Child: consume forever; print assignment changes and progress as JSON lines."""
    from kafka import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            pass

        def on_partitions_assigned(self, assigned):
            print(json.dumps({"t": time.time(), "assigned": sorted(p.partition for p in assigned)}),
                  flush=True)

    c = KafkaConsumer(bootstrap_servers=boot, group_id=group, auto_offset_reset="earliest",
                      session_timeout_ms=session_ms, heartbeat_interval_ms=max(100, session_ms // 6),
                      max_partition_fetch_bytes=4 << 20, fetch_max_bytes=16 << 20)
    c.subscribe([topic], listener=Listener())
    count = nbytes = 0
    last = time.time()
    signal.signal(signal.SIGTERM, lambda *_: (c.close(), sys.exit(0)))
    while True:
        batch = c.poll(timeout_ms=200, max_records=5000)
        for recs in batch.values():
            count += len(recs)
            nbytes += sum(len(r.value) for r in recs)
        now = time.time()
        if now - last >= 0.2:
            print(json.dumps({"t": now, "count": count, "bytes": nbytes}), flush=True)
            last = now


def main():
    boot = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
    session_ms = int(sys.argv[4]) if len(sys.argv) > 4 else 6000
    topic, group = "gbench-%d" % os.getpid(), "gbench-group-%d" % os.getpid()
    admin = KafkaAdminClient(bootstrap_servers=boot)
    admin.create_topics([NewTopic(topic, 6, 1)])
    time.sleep(1)
    prod = KafkaProducer(bootstrap_servers=boot, acks=1, linger_ms=20, batch_size=256 << 10)
    payload = b"x" * size
    t0 = time.time()
    for i in range(n):
        prod.send(topic, value=payload, partition=i % 6)
    prod.flush()
    produce_s = time.time() - t0
    procs = [subprocess.Popen([sys.executable, __file__, "--member", boot, topic, group,
                               str(session_ms)], stdout=subprocess.PIPE, text=True, bufsize=1)
             for _ in range(3)]
    os.set_blocking(procs[0].stdout.fileno(), True)
    state = [{"count": 0, "bytes": 0, "assigned": [], "first": None} for _ in procs]

    def pump(deadline, until):
        import selectors
        sel = selectors.DefaultSelector()
        for i, p in enumerate(procs):
            if p.poll() is None:
                sel.register(p.stdout, selectors.EVENT_READ, i)
        while time.time() < deadline and not until():
            for key, _ in sel.select(timeout=0.2):
                line = key.fileobj.readline()
                if not line:
                    sel.unregister(key.fileobj)
                    continue
                ev = json.loads(line)
                s = state[key.data]
                if "assigned" in ev:
                    s["assigned"] = ev["assigned"]
                    s["assigned_t"] = ev["t"]
                else:
                    if s["first"] is None and ev["count"] > 0:
                        s["first"] = ev["t"]
                    s["count"], s["bytes"], s["t"] = ev["count"], ev["bytes"], ev["t"]
        sel.close()

    try:
        pump(time.time() + 300, lambda: sum(s["count"] for s in state) >= n)
        total = sum(s["count"] for s in state)
        start = min(s["first"] for s in state if s["first"])
        end = max(s.get("t", start) for s in state)
        consume_s = max(end - start, 1e-6)
        # SIGKILL member 0: the survivors own all six partitions after a rebalance.
        covered = lambda: sorted(state[1]["assigned"] + state[2]["assigned"]) == list(range(6))
        t_kill = time.time()
        procs[0].send_signal(signal.SIGKILL)
        pump(time.time() + 60, lambda: covered() and min(state[1].get("assigned_t", 0),
                                                         state[2].get("assigned_t", 0)) > t_kill)
        kill_s = max(state[1].get("assigned_t", 0), state[2].get("assigned_t", 0)) - t_kill
        # A clean leave (LeaveGroup on close): member 2 alone owns everything.
        t_leave = time.time()
        procs[1].send_signal(signal.SIGTERM)
        pump(time.time() + 60, lambda: len(state[2]["assigned"]) == 6 and
             state[2].get("assigned_t", 0) > t_leave)
        leave_s = state[2].get("assigned_t", 0) - t_leave
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    print(json.dumps({
        "records": n, "record_bytes": size, "produce_s": round(produce_s, 2),
        "consumed": total, "consume_s": round(consume_s, 2),
        "group_MBps": round(total * size / consume_s / 1e6, 1),
        "per_member": [s["count"] for s in state],
        "session_timeout_ms": session_ms,
        "rebalance_after_sigkill_ms": round(kill_s * 1000),
        "rebalance_after_leave_ms": round(leave_s * 1000)}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--member":
        member(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
