#!/usr/bin/python3
"""Three kafka-python consumers (separate processes) in one group share a six-partition topic;
one is SIGKILLed mid-stream; its partitions must move to the others, and with the committed
offsets every acknowledged record is consumed at least once and none is skipped.
Prints "ok ..." / "FAIL ..." lines and a summary; exits 1 on any failure.
Usage: share_and_kill.py HOST:PORT WORKDIR
"""
import os
import signal
import subprocess
import sys
import time

PY = '/usr/bin/python3'
HERE = os.path.dirname(os.path.abspath(__file__))
boot, work = sys.argv[1], sys.argv[2]
topic, group, partitions = 'shared6', 'share-group', 6
stop = os.path.join(work, 'stop-members')
outs = {i: os.path.join(work, f'member-{i}.out') for i in (1, 2, 3)}
failures = 0


def check(what, cond, detail=''):
    global failures
    print(('ok   ' if cond else 'FAIL ') + what + ('' if cond else f': {detail}'))
    failures += 0 if cond else 1


def read(i):
    records, assignments = [], []
    if os.path.exists(outs[i]):
        for line in open(outs[i]):
            parts = line.split()
            if parts and parts[0] == 'R' and len(parts) == 4:
                records.append((int(parts[1]), int(parts[2])))
            elif parts and parts[0] == 'A':
                assignments.append([int(p) for p in parts[1].split(',')] if len(parts) > 1 else [])
    return records, assignments


def produce(first, last):  # RF 3: the ZooKeeper cluster's min.insync.replicas is 2
    out = subprocess.run([PY, os.path.join(HERE, 'produce_numbered.py'), boot, topic,
                          str(partitions), str(first), str(last), '3'],
                         capture_output=True, text=True, timeout=90)
    acked = {tuple(map(int, l.split()[1:3])) for l in out.stdout.splitlines() if l.startswith('acked')}
    if len(acked) != last - first:
        print(out.stderr[-2000:])
    return acked


def wait_until(pred, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


produce(0, 0)  # create the topic first: subscribers would auto-create it with one partition
procs = {i: subprocess.Popen([PY, os.path.join(HERE, 'group_member.py'), boot, group, topic,
                              outs[i], stop]) for i in (1, 2, 3)}
try:
    acked = produce(0, 300)
    check('300 records acknowledged before the kill', len(acked) == 300, len(acked))

    def shared_evenly():
        last = [read(i)[1][-1] if read(i)[1] else [] for i in (1, 2, 3)]
        return all(len(a) == 2 for a in last) and sorted(sum(last, [])) == list(range(6))
    check('three members hold two partitions each', wait_until(shared_evenly, 60),
          [read(i)[1][-1:] for i in (1, 2, 3)])
    consumed = lambda ids: {r for i in ids for r in read(i)[0]}
    # Kill member 3 mid-stream: it has processed some of its records, not all.
    check('member 3 is consuming', wait_until(lambda: len(read(3)[0]) >= 20, 30))
    victim_parts = read(3)[1][-1]
    os.kill(procs[3].pid, signal.SIGKILL)
    procs[3].wait()
    killed_at = time.time()
    print(f'killed member 3 holding partitions {victim_parts} '
          f'after {len(read(3)[0])} records')
    acked |= produce(300, 600)
    check('600 records acknowledged in all', len(acked) == 600, len(acked))

    def moved():
        last = [read(i)[1][-1] if read(i)[1] else [] for i in (1, 2)]
        return sorted(sum(last, [])) == list(range(6))
    check("the killed member's partitions moved to the survivors", wait_until(moved, 60),
          [read(i)[1][-1:] for i in (1, 2)])
    print(f'rebalance after the kill took {time.time() - killed_at:.1f} s (session timeout 6 s)')
    everything = lambda: acked <= consumed((1, 2, 3))
    check('every acknowledged record consumed at least once', wait_until(everything, 60),
          sorted(acked - consumed((1, 2, 3)))[:10])
    seen = consumed((1, 2, 3))
    for p in range(partitions):
        offsets = {o for (q, o) in seen if q == p}
        expected = {o for (q, o) in acked if q == p}
        gaps = [o for o in range(min(offsets, default=0), max(expected, default=-1) + 1)
                if o not in offsets]
        check(f'partition {p}: no offset skipped ({len(expected)} records)',
              expected and expected <= offsets and not gaps, f'{len(gaps)} gaps, e.g. {gaps[:5]}')
    total = sum(len(read(i)[0]) for i in (1, 2, 3))
    print(f'records processed {total}, distinct {len(seen)}, duplicates {total - len(seen)}')
finally:
    open(stop, 'w').close()
    for p in procs.values():
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
sys.exit(1 if failures else 0)
