"""Three `meridian broker` processes on a real ZooKeeper, each with its own admin port: the
metrics move on faults. SIGSTOP of a follower (its session expires, the controller drops it
from the ISR) makes the leader report the partition under-replicated (ISR 3 -> 2, an ISR
shrink); restarted, it catches up (ISR expand, under-replicated 0 again).
Exactly one broker reports controller_active = 1; SIGTERM turns a broker's /readyz 503.
Usage: zk_metrics_test.py MERIDIAN SOURCE_DIR"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from check_lib import expect as check, free_port, summary  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from meridian_proc import http_get, parse_exposition, total  # noqa: E402

TOPIC = 'urp'


def scrape(admin):
    status, body = http_get(admin + '/metrics', timeout=3)
    return parse_exposition(body) if status == 200 else {}


def wait(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def main():
    meridian, src = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix='zk-metrics-')
    procs = {}
    zk = None
    try:
        zk_port = free_port()
        zk = subprocess.Popen([os.path.join(src, 'tests/support/start_zookeeper.sh'), str(zk_port),
                               os.path.join(tmp, 'zk')], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, 'zk.log'), 'w'))

        def zk_up():
            with socket.create_connection(('127.0.0.1', zk_port), timeout=1) as s:
                s.sendall(b'srvr')
                return b'Mode' in s.recv(4096)
        if not check(wait(zk_up, 30), 'ZooKeeper up'):
            return 1
        kafka, admin = {}, {}
        for i in (1, 2, 3):
            kafka[i], admin[i] = free_port(), free_port()
            cfg = os.path.join(tmp, 'broker-%d.yaml' % i)
            with open(cfg, 'w') as f:
                f.write('broker.id: %d\nlisteners: PLAINTEXT://127.0.0.1:%d\n'
                        'admin.listener: 127.0.0.1:%d\nlog.dirs: %s/data-%d\n'
                        'zookeeper.connect: 127.0.0.1:%d/meridian\n'
                        'zookeeper.session.timeout.ms: 4000\nnum.partitions: 1\n'
                        'default.replication.factor: 3\nmin.insync.replicas: 2\n'
                        'replica.lag.time.max.ms: 1500\n'
                        % (i, kafka[i], admin[i], tmp, i, zk_port))
            procs[i] = subprocess.Popen([meridian, 'broker', '--config', cfg],
                                        stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(tmp, 'broker-%d.log' % i), 'w'))
        urls = {i: 'http://127.0.0.1:%d' % admin[i] for i in admin}
        ready = wait(lambda: all(http_get(u + '/readyz', timeout=1)[0] == 200
                                 for u in urls.values()), 40)
        check(ready, 'every broker /readyz 200')
        ctl = {}
        ok = wait(lambda: sum(total(scrape(u), 'meridian_cluster_controller_active')
                              for u in urls.values()) == 1, 20)
        for i, u in urls.items():
            ctl[i] = total(scrape(u), 'meridian_cluster_controller_active')
        check(ok, 'exactly one broker reports controller_active 1', ctl)
        controller = max(ctl, key=ctl.get)
        check(wait(lambda: total(scrape(urls[controller]), 'meridian_cluster_brokers') == 3, 20),
              'the controller reports cluster_brokers 3')

        from kafka import KafkaProducer
        from kafka.admin import KafkaAdminClient, NewTopic
        boot = ['127.0.0.1:%d' % p for p in kafka.values()]
        adm = KafkaAdminClient(bootstrap_servers=boot)
        adm.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=3)])
        adm.close()
        producer = KafkaProducer(bootstrap_servers=boot, acks='all', retries=5)
        for i in range(20):
            producer.send(TOPIC, value=b'r%d' % i)
        producer.flush(30)

        def leader():
            for i, u in urls.items():
                if any(l.get('topic') == TOPIC for l, _ in
                       scrape(u).get('meridian_partition_high_watermark', [])):
                    return i
            return None
        check(wait(lambda: leader() is not None, 20), 'a leader reports the partition')
        lead = leader()
        lu = urls[lead]
        check(wait(lambda: total(scrape(lu), 'meridian_partition_in_sync_replicas', topic=TOPIC)
                   == 3, 20), 'ISR 3 before the fault')
        # Freeze a follower that is not the controller, so the controller's view is checked.
        follower = sorted((i for i in procs if i != lead), key=lambda i: i == controller)[0]
        shrinks0 = total(scrape(lu), 'meridian_partition_isr_shrinks_total', topic=TOPIC)
        procs[follower].send_signal(signal.SIGSTOP)

        def shrunk():
            s = scrape(lu)
            return (total(s, 'meridian_partition_under_replicated', topic=TOPIC) == 1 and
                    total(s, 'meridian_partition_in_sync_replicas', topic=TOPIC) == 2)
        check(wait(shrunk, 30), 'SIGSTOP of follower %d: under_replicated 1, ISR 2' % follower,
              open(os.path.join(tmp, 'broker-%d.log' % lead)).read()[-1500:])
        s = scrape(lu)
        check(total(s, 'meridian_partition_isr_shrinks_total', topic=TOPIC) > shrinks0,
              'isr_shrinks_total increased')
        if follower != controller:
            # The ISR shrinks after replica.lag.time.max.ms (1.5 s), the frozen broker's
            # ZooKeeper session only expires after 4 s: wait for the controller to see it.
            def controller_sees_two():
                cs = scrape(urls[controller])
                return (total(cs, 'meridian_cluster_brokers') == 2 and
                        total(cs, 'meridian_cluster_unavailable_partitions') == 0)
            check(wait(controller_sees_two, 15),
                  'controller: cluster_brokers 2, no unavailable partition',
                  scrape(urls[controller]).get('meridian_cluster_brokers'))
        check(total(s, 'meridian_partition_under_min_isr', topic=TOPIC) == 0,
              'under_min_isr stays 0 (ISR 2 = min.insync.replicas)')
        lag = [v for l, v in s.get('meridian_replication_fetch_lag_records', [])
               if l.get('topic') == TOPIC]
        print('info: leader-side follower lag series (followers in other processes): %s' % lag)
        expands0 = total(s, 'meridian_partition_isr_expands_total', topic=TOPIC)
        # The frozen broker's session expired (that is what shrank the ISR: the controller drops
        # a broker whose session ends); it exits (status 75) for its supervisor to restart it.
        procs[follower].send_signal(signal.SIGCONT)
        procs[follower].kill()
        procs[follower].wait()
        procs[follower] = subprocess.Popen(
            [meridian, 'broker', '--config', os.path.join(tmp, 'broker-%d.yaml' % follower)],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(tmp, 'broker-%d.log' % follower), 'a'))
        check(wait(lambda: total(scrape(lu), 'meridian_partition_under_replicated', topic=TOPIC)
                   == 0 and total(scrape(lu), 'meridian_partition_in_sync_replicas',
                                  topic=TOPIC) == 3, 40),
              'restarted follower rejoins: ISR 3, under_replicated 0')
        check(total(scrape(lu), 'meridian_partition_isr_expands_total', topic=TOPIC) > expands0,
              'isr_expands_total increased')
        producer.close(timeout=5)

        # The partition leader, when it is not the controller: its controlled shutdown moves
        # leadership first, so the drain lasts long enough to be seen. Polled tightly.
        victim = lead if lead != controller else [i for i in procs if i != controller][0]
        procs[victim].send_signal(signal.SIGTERM)
        saw = False
        deadline = time.time() + 10
        while not saw and time.time() < deadline and procs[victim].poll() is None:
            try:
                saw = http_get(urls[victim] + '/readyz', timeout=1)[0] == 503
            except OSError:
                pass
            time.sleep(0.01)
        check(saw, 'SIGTERM: broker %d /readyz 503 while it drains' % victim)
        check(procs[victim].wait(timeout=60) == 0, 'broker %d exits 0' % victim)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
        if zk:
            zk.kill()
            zk.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary('zk_metrics_test')


if __name__ == '__main__':
    sys.exit(main())
