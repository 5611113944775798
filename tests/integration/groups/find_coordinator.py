#!/usr/bin/python3
"""Prints the broker id of GROUP's coordinator (FindCoordinator v0, retried while the broker
answers COORDINATOR_NOT_AVAILABLE). Usage: find_coordinator.py HOST:PORT[,...] GROUP"""
import socket
import sys
import time

from kafka.protocol.commit import GroupCoordinatorRequest
from kafka.protocol.parser import KafkaProtocol

group = sys.argv[2]
for attempt in range(100):
    for addr in sys.argv[1].split(','):
        host, port = addr.rsplit(':', 1)
        try:
            sock = socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            continue
        proto = KafkaProtocol(client_id='find-coordinator')
        proto.send_request(GroupCoordinatorRequest[0](group))
        sock.sendall(proto.send_bytes())
        responses = []
        while not responses:
            data = sock.recv(65536)
            if not data:
                break
            responses = proto.receive_bytes(data)
        sock.close()
        if responses and responses[0][1].error_code == 0:
            print(responses[0][1].coordinator_id)
            sys.exit(0)
    time.sleep(0.3)
sys.exit('no coordinator found')
