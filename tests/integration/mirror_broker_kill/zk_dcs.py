"""Shared set-up of the replicated two-DC mirror tests (mirror_broker_kill, mirror_failback_rf3,
mirror_failback_kill): one real ZooKeeper, and per DC (east, west) three `meridian broker`
processes on their own chroot, RF=3, min.insync.replicas=2, topic `orders` with PARTS
partitions. Processes live in a mirror_lib.Cluster, which SIGKILLs them on close()."""
import json
import os
import socket
import subprocess

from mirror_lib import wait_for

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
        self.ports = {i: free_port() for i in (1, 2, 3)}

    def bootstrap(self, skip=None):
        return ",".join("127.0.0.1:%d" % p for i, p in self.ports.items() if i != skip)

    def start(self, i):
        path = os.path.join(self.c.tmp, "%s-%d.yaml" % (self.name, i))
        with open(path, "w") as f:
            f.write("broker.id: %d\nlisteners: PLAINTEXT://127.0.0.1:%d\n"
                    "log.dirs: %s\nzookeeper.connect: 127.0.0.1:%d/%s\n"
                    "zookeeper.session.timeout.ms: 3000\nnum.partitions: %d\n"
                    "default.replication.factor: 3\nmin.insync.replicas: 2\n"
                    "replica.lag.time.max.ms: 2000\nadmin.listener: 127.0.0.1:0\n"
                    % (i, self.ports[i], os.path.join(self.c.tmp, "%s-data-%d" % (self.name, i)),
                       self.zk_port, self.name, PARTS))
        log = open(os.path.join(self.c.tmp, "%s-%d.err" % (self.name, i)), "a")
        self.c.procs["%s-%d" % (self.name, i)] = subprocess.Popen(
            [self.c.meridian, "broker", "--config", path], stdout=log, stderr=log)

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


def start_zookeeper(c, src):
    """A ZooKeeper on an OS-assigned port (tests/support/start_zookeeper.sh); its port."""
    zk_port = free_port()
    zk_log = open(os.path.join(c.tmp, "zk.err"), "w")
    c.procs["zk"] = subprocess.Popen(
        [os.path.join(src, "tests/support/start_zookeeper.sh"), str(zk_port),
         os.path.join(c.tmp, "zk")], stdout=zk_log, stderr=zk_log)

    def zk_ready():
        try:
            with socket.create_connection(("127.0.0.1", zk_port), timeout=2) as s:
                s.sendall(b"srvr")
                return b"Mode" in s.recv(4096)
        except OSError:
            return False
    wait_for(zk_ready, 60, "ZooKeeper")
    return zk_port


def start_two_dcs(c, src):
    """ZooKeeper, then east and west with three brokers each, all up: (east, west)."""
    zk_port = start_zookeeper(c, src)
    east, west = Dc(c, "east", zk_port), Dc(c, "west", zk_port)
    for dc in (east, west):
        for i in (1, 2, 3):
            dc.start(i)
    wait_for(east.brokers_up, 60, "three east brokers")
    wait_for(west.brokers_up, 60, "three west brokers")
    return east, west
