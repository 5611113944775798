"""Datacenters in network namespaces for the cross-DC mirror tests (issue 7), shared by
tests/integration/mirror_*: each DC's processes (brokers, its ZooKeeper, its mirror links) run
in that DC's own namespace; the ONLY path between the DCs is the fault proxy, which runs in a
third namespace, so a proxy `cut` really cuts the DCs apart, in both directions. The test's own
clients (kafka-python, kcat, HTTP) stay in the root namespace and reach every DC directly.

Address plan (one slot k = 1..250 per running test, held by a lock file, so parallel tests never
share an address in the root namespace; namespaces are named mns<pid>-e/-w/-x):

    root namespace (the test, its clients; ip_forward stays 0, so root never routes DC to DC)
      veth 10.78.k.1/30  <-> east 10.78.k.2     route 10.79.k.1/32 (east's address) via east
      veth 10.78.k.5/30  <-> west 10.78.k.6     route 10.79.k.2/32 (west's address) via west
    mns<pid>-e (east)              mns<pid>-x (WAN)                mns<pid>-w (west)
      lo 127.0.0.1 (ZooKeeper)       lo 10.79.k.1/32, 10.79.k.2/32   lo 127.0.0.1 (ZooKeeper)
      lo 10.79.k.1/32 = east         = the fault proxy's listeners   lo 10.79.k.2/32 = west
      veth 10.78.k.10 <-------> 10.78.k.9 | 10.78.k.13 <-------> veth 10.78.k.14
      route 10.79.k.2/32 via .9                                      route 10.79.k.1/32 via .13

Every broker binds 0.0.0.0:<its port> and advertises <its DC's address>:<its port> (one address
per DC, one port per broker: 9092 for `meridian dev`, 9101.. for `meridian broker`). That
address is the broker itself in its own DC (lo alias) and from the root namespace (a route into
the DC), and the proxy's listener from the other DC (the route leads into the WAN namespace,
where the proxy forwards <addr>:<port> to <DC's WAN veth>:<port>). Admin/HTTP listeners bind the
DC's address, so root reaches them too. The proxy's control port is on 127.0.0.1 of the WAN
namespace; the test reaches it with a socket created in that namespace (setns in a thread).

Set-up checks that neither DC has a route to the other's interfaces (only the proxy's path).
Without root (no `ip netns add`), or with env MERIDIAN_TEST_NETNS=off, Network(...).netns is
False and every DC runs on 127.0.0.1 (the callers keep their loopback layout); one line says so.
Namespaces left by a dead test (its pid in the name) are removed by the next one."""
import atexit
import ctypes
import errno
import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

_CLONE_NEWNET = 0x40000000
_SLOT_DIR = "/tmp/mns-slots"
DEV_PORT = 9092            # a one-broker `meridian dev` DC
BROKER_PORT_BASE = 9100    # `meridian broker` i listens on BROKER_PORT_BASE + i
ZK_PORT = 2181             # a DC's own ZooKeeper, on 127.0.0.1 inside the DC


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise OSError("ip %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_stale():
    """Deletes namespaces named mns<pid>-* whose creating pid is dead (a test SIGKILLed before
    its cleanup ran): their processes are SIGKILLed first, the veths go with the namespaces."""
    r = _ip("netns", "list", check=False)
    for line in r.stdout.splitlines():
        m = re.match(r"^(mns(\d+)-[a-z])\b", line)
        if m and not _pid_alive(int(m.group(2))):
            _kill_ns_pids(m.group(1))
            _ip("netns", "del", m.group(1), check=False)


def _kill_ns_pids(ns):
    r = _ip("netns", "pids", ns, check=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def _take_slot():
    """(slot number, open lock file) of a free slot; the lock dies with the process. The search
    starts at a pid-dependent slot, so a client leaked by an earlier, killed test is unlikely to
    find its old addresses served by the next one."""
    os.makedirs(_SLOT_DIR, exist_ok=True)
    start = os.getpid() % 250
    for k in [1 + (start + i) % 250 for i in range(250)]:
        f = open(os.path.join(_SLOT_DIR, "%d.lock" % k), "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return k, f
        except OSError:
            f.close()
    raise OSError("no free address slot in %s" % _SLOT_DIR)


class Network:
    """Two DCs (east, west) and the WAN namespace between them, or the loopback fallback."""

    def __init__(self, dcs=("east", "west")):
        assert tuple(dcs) == ("east", "west"), dcs
        self.netns, self.ns, self._lock, self._closed = False, {}, None, False
        if os.environ.get("MERIDIAN_TEST_NETNS") == "off":  # to exercise the fallback as root
            reason = "MERIDIAN_TEST_NETNS=off"
        else:
            reason = self._try_setup()
        if self.netns:
            print("netns mode: east in %s (%s), west in %s (%s), fault proxy in %s; clients in "
                  "the root namespace" % (self.ns["east"], self.host("east"), self.ns["west"],
                                          self.host("west"), self.ns["wan"]), flush=True)
        else:
            print("loopback mode: cannot create network namespaces (%s); both DCs on 127.0.0.1"
                  % reason, flush=True)

    # --- set-up and clean-up ------------------------------------------------------------------
    def _try_setup(self):
        if os.geteuid() != 0:
            return "not root"
        remove_stale()
        pid = os.getpid()
        self.ns = {"east": "mns%d-e" % pid, "west": "mns%d-w" % pid, "wan": "mns%d-x" % pid}
        r = _ip("netns", "add", self.ns["east"], check=False)
        if r.returncode != 0:
            self.ns = {}
            return r.stderr.strip()
        self.netns = True
        atexit.register(self.close)
        _chain_sigterm(self.close)
        try:
            self.slot, self._lock = _take_slot()
            self._build(pid)
        except Exception:
            self.close()
            raise
        return None

    def _build(self, pid):
        k, ns = self.slot, self.ns
        _ip("netns", "add", ns["west"])
        _ip("netns", "add", ns["wan"])
        for n in ns.values():
            _ip("-n", n, "link", "set", "lo", "up")
        net = "10.78.%d." % k
        # (name in root or WAN, its namespace, its address, peer name, peer namespace, address)
        links = [("mns%dre" % pid, None, net + "1", "mns%der" % pid, ns["east"], net + "2"),
                 ("mns%drw" % pid, None, net + "5", "mns%dwr" % pid, ns["west"], net + "6"),
                 ("mns%dxe" % pid, ns["wan"], net + "9", "mns%dex" % pid, ns["east"], net + "10"),
                 ("mns%dxw" % pid, ns["wan"], net + "13", "mns%dwx" % pid, ns["west"], net + "14")]
        for a, a_ns, a_ip, b, b_ns, b_ip in links:
            _ip("link", "add", a, "type", "veth", "peer", "name", b)
            _ip("link", "set", b, "netns", b_ns)
            if a_ns:
                _ip("link", "set", a, "netns", a_ns)
            for dev, dev_ns, addr in ((a, a_ns, a_ip), (b, b_ns, b_ip)):
                pre = ["-n", dev_ns] if dev_ns else []
                _ip(*pre, "addr", "add", addr + "/30", "dev", dev)
                _ip(*pre, "link", "set", dev, "up")
        east, west = self.host("east"), self.host("west")
        for n, addr in ((ns["east"], east), (ns["west"], west), (ns["wan"], east),
                        (ns["wan"], west)):
            _ip("-n", n, "addr", "add", addr + "/32", "dev", "lo")
        _ip("route", "add", east + "/32", "via", net + "2")
        _ip("route", "add", west + "/32", "via", net + "6")
        _ip("-n", ns["east"], "route", "add", west + "/32", "via", net + "9")
        _ip("-n", ns["west"], "route", "add", east + "/32", "via", net + "13")
        self._check_isolated()

    def _check_isolated(self):
        """Fails the set-up unless each DC lacks any route to the other's interfaces and to
        the root namespace's side of the other DC: only <other DC address> (the proxy) is left."""
        net = "10.78.%d." % self.slot
        for dc, others in (("east", (net + "5", net + "6", net + "14")),
                           ("west", (net + "1", net + "2", net + "10"))):
            for addr in others:
                with self.socket_in(dc) as s:
                    s.settimeout(2)
                    try:
                        s.connect((addr, 9))
                        raise OSError("%s reaches %s directly" % (dc, addr))
                    except OSError as e:
                        if e.errno != errno.ENETUNREACH:
                            raise OSError("%s -> %s: %r, expected no route" % (dc, addr, e))

    def close(self):
        """Kills every process left in the namespaces (all started by this test) and deletes
        them; the veths, addresses and root routes go with them. Idempotent."""
        if self._closed or not self.netns:
            return
        self._closed = True
        for n in self.ns.values():
            _kill_ns_pids(n)
        for n in self.ns.values():
            _ip("netns", "del", n, check=False)
        if self._lock:
            self._lock.close()

    # --- addresses ----------------------------------------------------------------------------
    def host(self, dc):
        """The address DC `dc`'s brokers advertise and its HTTP listeners bind."""
        if not self.netns:
            return "127.0.0.1"
        return "10.79.%d.%d" % (self.slot, {"east": 1, "west": 2}[dc])

    def bind(self, dc):
        """Where DC `dc`'s brokers listen (all addresses: the WAN proxy reaches them on the
        DC's WAN veth, everyone else on its address)."""
        return "0.0.0.0" if self.netns else "127.0.0.1"

    def wan_ip(self, dc):
        return "10.78.%d.%d" % (self.slot, {"east": 10, "west": 14}[dc])

    def url(self, dc, text):
        """`text` (a printed address or URL) with a 0.0.0.0 host made DC `dc`'s address."""
        return text.replace("0.0.0.0", self.host(dc))

    # --- processes ----------------------------------------------------------------------------
    def argv(self, where, argv):
        """argv run inside `where` ("east", "west", "wan"); unchanged in loopback mode."""
        if not self.netns:
            return list(argv)
        return ["ip", "netns", "exec", self.ns[where]] + list(argv)

    def proxy_argv(self, proxy_bin, ports, extra=()):
        """The fault proxy in the WAN namespace, serving {dc: [broker ports]} for the other DC:
        <dc address>:<port> -> <dc WAN veth>:<port>. Prints `control <port>` (on its 127.0.0.1)."""
        args = [proxy_bin]
        for dc, plist in ports.items():
            for port in plist:
                args += ["--route", "%s:%d=%s:%d" % (self.host(dc), port, self.wan_ip(dc), port)]
        return self.argv("wan", args + ["--control", "127.0.0.1:0"] + list(extra))

    def connect(self, where, host, port, timeout=5):
        """A TCP connection to host:port made from inside `where` (root in loopback mode)."""
        s = self.socket_in(where)
        try:
            s.settimeout(timeout)
            s.connect((host, port))
        except OSError:
            s.close()
            raise
        return s

    def kafka_answers(self, where, host, port, timeout=3):
        """True when a Kafka broker at host:port, dialled from inside `where`, answers an
        ApiVersions v0 request (False on no route, refusal, reset or silence): shows whether a
        path between the DCs is open."""
        client = b"netns-probe"
        frame = struct.pack(">hhih", 18, 0, 1, len(client)) + client
        try:
            with self.connect(where, host, port, timeout) as s:
                s.sendall(struct.pack(">i", len(frame)) + frame)
                return len(s.recv(8)) >= 8
        except OSError:
            return False

    def socket_in(self, where):
        """A TCP socket created in namespace `where`: it stays there whoever uses it."""
        if not self.netns:
            return socket.socket()
        out = {}

        def make():
            try:
                with open("/var/run/netns/" + self.ns[where]) as f:
                    libc = ctypes.CDLL(None, use_errno=True)
                    if libc.setns(f.fileno(), _CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns " + self.ns[where])
                out["s"] = socket.socket()
            except OSError as e:
                out["e"] = e
        t = threading.Thread(target=make)  # a fresh thread: its namespace dies with it
        t.start()
        t.join()
        if "e" in out:
            raise out["e"]
        return out["s"]


_cleanups = []


def _chain_sigterm(fn):
    """On SIGTERM (e.g. a ctest timeout): clean up, then exit through the finally blocks. A
    client thread still retrying against the killed DCs must not keep the process alive, so a
    daemon watchdog ends it 10 s later whatever happens."""
    _cleanups.append(fn)
    if len(_cleanups) > 1 or threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        print("SIGTERM: killing the DCs' processes, deleting the namespaces", flush=True)
        for f in _cleanups:
            f()
        threading.Thread(target=lambda: (time.sleep(10), os._exit(128 + signum)),
                         daemon=True).start()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
