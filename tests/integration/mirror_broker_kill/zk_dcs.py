"""Shared set-up of the replicated two-DC mirror tests (mirror_broker_kill, mirror_failback_rf3,
mirror_failback_kill): per DC (east, west) three `meridian broker` processes on their own
ZooKeeper chroot, RF=3, min.insync.replicas=2, topic `orders` with PARTS partitions. Processes
live in a mirror_lib.Cluster, which SIGKILLs them on close().
netns mode (Cluster(..., netns=True) as root): each DC's ZooKeeper and brokers run in the DC's
own network namespace, the fault proxy (WAN namespace) is the only path between the DCs, the
test's clients reach both from the root namespace (tests/support/netns_dcs.py). Loopback
fallback: one ZooKeeper for both DCs, everything on 127.0.0.1, no proxy."""
import json
import os
import socket
import subprocess

from mirror_lib import wait_for
from netns_dcs import BROKER_PORT_BASE, ZK_PORT

TOPIC = "orders"
PARTS = 2


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dc:
    """Three `meridian broker` processes of one DC, on ZooKeeper chroot /<name>."""

    def __init__(self, c, name, zk_port):
        self.c, self.name, self.zk_port = c, name, zk_port
        if c.ns:  # a namespace of its own: fixed ports, the DC's address
            self.host, self.bind = c.net.host(name), c.net.bind(name)
            self.ports = {i: BROKER_PORT_BASE + i for i in (1, 2, 3)}
        else:
            self.host = self.bind = "127.0.0.1"
            self.ports = {i: free_port() for i in (1, 2, 3)}

    def bootstrap(self, skip=None):
        return ",".join("%s:%d" % (self.host, p) for i, p in self.ports.items() if i != skip)

    def start(self, i):
        path = os.path.join(self.c.tmp, "%s-%d.yaml" % (self.name, i))
        with open(path, "w") as f:
            f.write("broker.id: %d\nlisteners: PLAINTEXT://%s:%d\n"
                    "advertised.listeners: PLAINTEXT://%s:%d\n"
                    "log.dirs: %s\nzookeeper.connect: 127.0.0.1:%d/%s\n"
                    "zookeeper.session.timeout.ms: 3000\nnum.partitions: %d\n"
                    "default.replication.factor: 3\nmin.insync.replicas: 2\n"
                    "replica.lag.time.max.ms: 2000\nadmin.listener: %s:0\n"
                    % (i, self.bind, self.ports[i], self.host, self.ports[i],
                       os.path.join(self.c.tmp, "%s-data-%d" % (self.name, i)),
                       self.zk_port, self.name, PARTS, self.host))
        log = open(os.path.join(self.c.tmp, "%s-%d.err" % (self.name, i)), "a")
        args = [self.c.meridian, "broker", "--config", path]
        self.c.procs["%s-%d" % (self.name, i)] = subprocess.Popen(
            self.c.net.argv(self.name, args) if self.c.ns else args, stdout=log, stderr=log)

    def kill(self, i):
        self.c.kill("%s-%d" % (self.name, i))

    def partition(self, p, skip=None, topic=TOPIC):
        """(leader, isr) of topic-p per kcat metadata, or None."""
        r = subprocess.run(["kcat", "-b", self.bootstrap(skip), "-L", "-J", "-t", topic,
                            "-m", "3"], capture_output=True, text=True, timeout=10)
        try:
            md = json.loads(r.stdout)
            part = [x for x in md["topics"][0]["partitions"] if x["partition"] == p][0]
            return part["leader"], sorted(x["id"] for x in part["isrs"])
        except (ValueError, KeyError, IndexError):
            return None

    def leader(self, p, skip=None):
        """The leader of orders-p (a broker id > 0), waiting for one."""
        return wait_for(lambda: (self.partition(p, skip) or (-1, []))[0] > 0 and
                        self.partition(p, skip)[0], 20, "%s leader of %s-%d"
                        % (self.name, TOPIC, p))

    def full_isr(self):
        return all((self.partition(p) or (0, []))[1] == [1, 2, 3] for p in range(PARTS))

    def brokers_up(self):
        r = subprocess.run(["kcat", "-b", self.bootstrap(), "-L", "-J", "-m", "3"],
                           capture_output=True, text=True, timeout=10)
        try:
            return len(json.loads(r.stdout)["brokers"]) == 3
        except (ValueError, KeyError):
            return False


def start_zookeeper(c, src, dc=None):
    """A ZooKeeper (tests/support/start_zookeeper.sh): in DC `dc`'s namespace on its 127.0.0.1
    (netns mode), else here on an OS-assigned port. Returns its port."""
    zk_port = ZK_PORT if dc else free_port()
    name = "zk-" + dc if dc else "zk"
    zk_log = open(os.path.join(c.tmp, name + ".err"), "w")
    args = [os.path.join(src, "tests/support/start_zookeeper.sh"), str(zk_port),
            os.path.join(c.tmp, name)]
    c.procs[name] = subprocess.Popen(c.net.argv(dc, args) if dc else args, stdout=zk_log,
                                     stderr=zk_log)

    def zk_ready():
        try:
            conn = (c.net.connect(dc, "127.0.0.1", zk_port, timeout=2) if dc else
                    socket.create_connection(("127.0.0.1", zk_port), timeout=2))
            with conn as s:
                s.sendall(b"srvr")
                return b"Mode" in s.recv(4096)
        except OSError:
            return False
    return zk_port, zk_ready


def start_two_dcs(c, src):
    """ZooKeeper (one per DC in netns mode, with the WAN proxy for the brokers' ports), then
    east and west with three brokers each, all up: (east, west)."""
    if c.ns:
        zks = [start_zookeeper(c, src, dc) for dc in ("east", "west")]
        ports = [BROKER_PORT_BASE + i for i in (1, 2, 3)]
        c.start_wan_proxy({"east": ports, "west": ports})
    else:
        zks = [start_zookeeper(c, src)]
    for port, ready in zks:
        wait_for(ready, 60, "ZooKeeper")
    east, west = Dc(c, "east", zks[0][0]), Dc(c, "west", zks[-1][0])
    for dc in (east, west):
        for i in (1, 2, 3):
            dc.start(i)
    wait_for(east.brokers_up, 60, "three east brokers")
    wait_for(west.brokers_up, 60, "three west brokers")
    print("two DCs up in %s mode" % ("netns" if c.ns else "loopback"), flush=True)
    return east, west
