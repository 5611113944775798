#!/usr/bin/python3
"""Fencing with raw requests (kafka.protocol): member A commits with a stale generation after a
rebalance and gets ILLEGAL_GENERATION; a commit for a missing topic or partition gets
UNKNOWN_TOPIC_OR_PARTITION; none of it disturbs member B, and A's current generation commits.
Prints one "ok ..." line per check, or "FAIL ..." and exits 1.
Usage: stale_commit.py HOST:PORT TOPIC   (TOPIC exists with >= 1 partition)
"""
import socket
import sys
import time

from kafka.protocol.commit import (GroupCoordinatorRequest, OffsetCommitRequest,
                                   OffsetFetchRequest)
from kafka.protocol.group import HeartbeatRequest, JoinGroupRequest, SyncGroupRequest
from kafka.protocol.parser import KafkaProtocol

ILLEGAL_GENERATION, UNKNOWN_TOPIC_OR_PARTITION, REBALANCE_IN_PROGRESS = 22, 3, 27
host, port = sys.argv[1].rsplit(':', 1)
topic = sys.argv[2]
group = 'stale-commit-group'
failures = 0


def check(what, got, want):
    global failures
    if got == want:
        print(f'ok   {what}')
    else:
        failures += 1
        print(f'FAIL {what}: got {got}, want {want}')


class Conn:
    def __init__(self, addr):
        self.sock = socket.create_connection(addr, timeout=60)
        self.proto = KafkaProtocol(client_id='stale-commit')

    def send(self, request):
        self.proto.send_request(request)
        self.sock.sendall(self.proto.send_bytes())

    def receive(self):
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise SystemExit('FAIL connection closed by the broker')
            responses = self.proto.receive_bytes(data)
            if responses:
                return responses[0][1]

    def call(self, request):
        self.send(request)
        return self.receive()


boot = Conn((host, int(port)))
for _ in range(100):
    r = boot.call(GroupCoordinatorRequest[0](group))
    if r.error_code == 0:
        break
    time.sleep(0.3)
check('FindCoordinator', r.error_code, 0)
coordinator = (r.host, r.port)
a, b = Conn(coordinator), Conn(coordinator)
protocols = [('range', b'\x00\x00\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x00')]


def join(conn, member_id):
    for _ in range(100):
        resp = conn.call(JoinGroupRequest[1](group, 10000, 10000, member_id, 'consumer', protocols))
        if resp.error_code not in (14, 15, 16):  # loading / not available / not coordinator
            return resp
        time.sleep(0.3)
    return resp


first = join(a, '')
check('A joins generation 1', (first.error_code, first.generation_id), (0, 1))
a_id = first.member_id
r = a.call(SyncGroupRequest[0](group, 1, a_id, [(a_id, b'assignment-a')]))
check('A syncs and gets its assignment', (r.error_code, r.member_assignment), (0, b'assignment-a'))
commit = OffsetCommitRequest[2](group, 1, a_id, -1, [(topic, [(0, 5, 'gen1')])])
check('A commits in generation 1', a.call(commit).topics[0][1][0][1], 0)

# B joins: the group rebalances; A learns it from its heartbeat and rejoins.
b.send(JoinGroupRequest[1](group, 10000, 10000, '', 'consumer', protocols))
time.sleep(0.5)
check('A heartbeat sees the rebalance', a.call(HeartbeatRequest[0](group, 1, a_id)).error_code,
      REBALANCE_IN_PROGRESS)
a_join = join(a, a_id)
b_join = b.receive()
check('generation 2 for both', (a_join.generation_id, b_join.generation_id), (2, 2))
b_id = b_join.member_id
leader = a if a_join.leader_id == a_id else b
other = b if leader is a else a
other.send(SyncGroupRequest[0](group, 2, b_id if other is b else a_id, []))
leader_id = a_id if leader is a else b_id
r = leader.call(SyncGroupRequest[0](group, 2, leader_id, [(a_id, b'a2'), (b_id, b'b2')]))
check('leader syncs generation 2', r.error_code, 0)
check('follower gets its assignment', other.receive().error_code, 0)

stale = a.call(OffsetCommitRequest[2](group, 1, a_id, -1, [(topic, [(0, 7, 'stale')])]))
check('stale generation commit -> ILLEGAL_GENERATION', stale.topics[0][1][0][1], ILLEGAL_GENERATION)
missing = a.call(OffsetCommitRequest[2](group, 2, a_id, -1,
                                        [('no-such-topic-xyz', [(0, 1, '')]), (topic, [(999, 1, '')])]))
check('commit to a missing topic -> UNKNOWN_TOPIC_OR_PARTITION', missing.topics[0][1][0][1],
      UNKNOWN_TOPIC_OR_PARTITION)
check('commit to a missing partition -> UNKNOWN_TOPIC_OR_PARTITION', missing.topics[1][1][0][1],
      UNKNOWN_TOPIC_OR_PARTITION)
check('B unaffected: heartbeat', b.call(HeartbeatRequest[0](group, 2, b_id)).error_code, 0)
check('A unaffected: heartbeat', a.call(HeartbeatRequest[0](group, 2, a_id)).error_code, 0)
good = b.call(OffsetCommitRequest[2](group, 2, b_id, -1, [(topic, [(0, 9, 'gen2')])]))
check('B commits in generation 2', good.topics[0][1][0][1], 0)
fetched = a.call(OffsetFetchRequest[1](group, [(topic, [0])]))
check('OffsetFetch sees generation 2 commit, not the stale one', fetched.topics[0][1][0][1:3],
      (9, 'gen2'))
sys.exit(1 if failures else 0)
