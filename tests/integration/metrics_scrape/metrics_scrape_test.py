"""`meridian dev` serves the admin port (CONVENTIONS.md §1, §4): every broker and cluster
family of the catalogue is exported with real values that move when records are produced and
consumed, /livez /readyz behave, readiness turns 503 when a graceful shutdown begins, and a busy
admin port does not stop the brokers.
Usage: metrics_scrape_test.py MERIDIAN METRIC_NAMES_TOOL"""
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from check_lib import expect as check, summary  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from meridian_proc import DevProcess, http_get, total  # noqa: E402

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

TOPIC = 'metrics-t'
RECORDS = 300
VALUE = b'v' * 100
# Families `meridian dev` exports itself (brokers, controller, storage, build). Group, gateway,
# mirror and TLS families come from their own subsystems and are listed, not required, here.
REQUIRED = [
    'meridian_build_info', 'meridian_cluster_brokers', 'meridian_cluster_topics',
    'meridian_cluster_partitions', 'meridian_cluster_unavailable_partitions',
    'meridian_cluster_controller_active', 'meridian_topic_partitions', 'meridian_topic_replicas',
    'meridian_partition_under_replicated', 'meridian_partition_under_min_isr',
    'meridian_partition_in_sync_replicas', 'meridian_partition_high_watermark',
    'meridian_partition_log_start_offset', 'meridian_partition_isr_shrinks_total',
    'meridian_partition_isr_expands_total', 'meridian_records_produced_total',
    'meridian_records_fetched_total', 'meridian_request_bytes_total',
    'meridian_request_latency_seconds', 'meridian_leadership_changes_total',
    'meridian_replication_fetch_lag_records', 'meridian_storage_disk_free_bytes',
    'meridian_storage_disk_total_bytes', 'meridian_storage_log_size_bytes',
]

def family_present(samples, name):
    return any(k == name or k in (name + '_bucket', name + '_count') for k in samples)


def catalogue(tool):
    import subprocess
    out = subprocess.run([tool], capture_output=True, text=True, check=True).stdout
    return sorted({w for w in out.split() if w.startswith('meridian_')})


def health_endpoints(dev):
    check(http_get(dev.admin + '/livez') == (200, 'ok\n') or http_get(dev.admin + '/livez')[0] == 200,
          '/livez 200')
    check(http_get(dev.admin + '/healthz')[0] == 200, '/healthz 200 (alias)')
    ready = False
    for _ in range(80):
        if http_get(dev.admin + '/readyz')[0] == 200:
            ready = True
            break
        time.sleep(0.25)
    check(ready, '/readyz 200 once the brokers joined', dev.stderr())
    status, body = http_get(dev.admin + '/readyz?verbose')
    check(status == 200 and 'brokers' in body and '3 broker(s)' in body, '/readyz?verbose lists checks', body)
    check(http_get(dev.admin + '/v1/status/ready')[0] == 200, '/v1/status/ready 200 (alias)')
    check(http_get(dev.admin + '/no-such-path')[0] == 404, 'unknown path 404')


def produce_and_consume(boot):
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic(TOPIC, num_partitions=3, replication_factor=3)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=boot, acks='all', retries=5, linger_ms=5)
    for i in range(RECORDS):
        producer.send(TOPIC, key=str(i).encode(), value=VALUE, partition=i % 3)
    producer.flush(30)
    producer.close()


def consume(boot):
    consumer = KafkaConsumer(bootstrap_servers=boot, consumer_timeout_ms=10000,
                             auto_offset_reset='earliest', enable_auto_commit=False)
    consumer.assign([TopicPartition(TOPIC, p) for p in range(3)])
    consumer.seek_to_beginning()
    n = 0
    for _ in consumer:
        n += 1
        if n == RECORDS:
            break
    consumer.close()
    return n


def group_metrics(dev):
    """Committed offsets of a group: reported once (by its coordinator, one of the 3 brokers),
    lag = high watermark - committed offset."""
    from kafka.structs import OffsetAndMetadata
    committed = {0: 10, 1: 20, 2: 30}
    c = KafkaConsumer(bootstrap_servers=dev.bootstrap, group_id='scrape-group',
                      enable_auto_commit=False)
    c.assign([TopicPartition(TOPIC, p) for p in committed])
    c.commit({TopicPartition(TOPIC, p): OffsetAndMetadata(o, '') for p, o in committed.items()})
    c.close()

    def series(s, name):
        return {l['partition']: v for l, v in s.get(name, []) if l.get('group') == 'scrape-group'}
    s, ok = dev.wait_for(lambda s: len(s.get('meridian_consumer_group_committed_offset', [])) > 0
                         and len(series(s, 'meridian_consumer_group_lag')) == 3, timeout=15)
    rows = [l for l, _ in s.get('meridian_consumer_group_committed_offset', [])
            if l.get('group') == 'scrape-group']
    check(ok and len(rows) == 3 and len({l.get('broker') for l in rows}) == 1,
          'group committed offsets reported once, by one broker (its coordinator)', rows)
    check(series(s, 'meridian_consumer_group_committed_offset') ==
          {str(p): o for p, o in committed.items()}, 'committed offsets 10/20/30')
    per = RECORDS // 3
    check(series(s, 'meridian_consumer_group_lag') ==
          {str(p): per - o for p, o in committed.items()},
          'group lag = high watermark - committed', series(s, 'meridian_consumer_group_lag'))
    check(total(s, 'meridian_consumer_group_topic_lag', group='scrape-group', topic=TOPIC) ==
          3 * per - 60 and total(s, 'meridian_consumer_group_members', group='scrape-group') == 0,
          'group topic lag summed, 0 members (a standalone commit)')


def after_produce(s):
    return (total(s, 'meridian_records_produced_total', topic=TOPIC) == RECORDS
            and total(s, 'meridian_partition_high_watermark', topic=TOPIC) == RECORDS
            and total(s, 'meridian_partition_in_sync_replicas', topic=TOPIC) == 9
            and total(s, 'meridian_storage_log_size_bytes', topic=TOPIC) >= 3 * RECORDS * 100
            and len([1 for l, v in s.get('meridian_replication_fetch_lag_records', [])
                     if l.get('topic') == TOPIC and v == 0]) == 6)


def check_after_produce(s):
    def t(name, **kw):
        return total(s, name, **kw)
    check(t('meridian_records_produced_total', topic=TOPIC) == RECORDS,
          'records_produced_total{topic} == %d' % RECORDS, s.get('meridian_records_produced_total'))
    check(t('meridian_request_bytes_total', topic=TOPIC, request='produce') >= RECORDS * 100,
          'request_bytes_total{request=produce} >= payload')
    check(t('meridian_request_latency_seconds_count', request='produce') >= 1,
          'request_latency_seconds{request=produce} observed')
    check(t('meridian_partition_high_watermark', topic=TOPIC) == RECORDS,
          'sum of high watermarks == records', s.get('meridian_partition_high_watermark'))
    check(len([1 for l, _ in s.get('meridian_partition_log_start_offset', [])
               if l.get('topic') == TOPIC]) == 3, 'log_start_offset per partition (leaders only)')
    check(t('meridian_partition_in_sync_replicas', topic=TOPIC) == 9, 'ISR 3 x 3 partitions')
    check(t('meridian_partition_under_replicated', topic=TOPIC) == 0, 'under_replicated 0')
    check(t('meridian_partition_under_min_isr', topic=TOPIC) == 0, 'under_min_isr 0')
    check(t('meridian_topic_partitions', topic=TOPIC) == 3 and
          t('meridian_topic_replicas', topic=TOPIC) == 3, 'topic_partitions 3, topic_replicas 3')
    check(t('meridian_leadership_changes_total', topic=TOPIC) >= 3,
          'leadership_changes_total counts the 3 first elections')
    lags = [(l, v) for l, v in s.get('meridian_replication_fetch_lag_records', [])
            if l.get('topic') == TOPIC]
    check(len(lags) == 6 and all(v == 0 for _, v in lags),
          'replication_fetch_lag_records: 6 followers caught up', lags)
    check(t('meridian_storage_log_size_bytes', topic=TOPIC) >= 3 * RECORDS * 100,
          'storage_log_size_bytes counts all 3 replicas')
    free, size = t('meridian_storage_disk_free_bytes'), t('meridian_storage_disk_total_bytes')
    check(0 < free <= size, 'disk free %d <= total %d' % (free, size))
    check(t('meridian_cluster_topics') >= 1 and t('meridian_cluster_partitions') >= 3,
          'cluster_topics / cluster_partitions')
    for l, _ in s.get('meridian_records_produced_total', []):
        check(l.get('datacenter') == 'west' and l.get('broker') in ('1', '2', '3'),
              'series labelled datacenter=west, broker', l)
        break


def graceful_shutdown(dev):
    dev.proc.send_signal(signal.SIGTERM)
    saw_503 = False
    deadline = time.time() + 30
    while time.time() < deadline and dev.proc.poll() is None:
        try:
            if http_get(dev.admin + '/readyz', timeout=1)[0] == 503:
                saw_503 = True
                check(http_get(dev.admin + '/livez', timeout=1)[0] == 200,
                      '/livez stays 200 while draining')
                break
        except OSError:
            pass
        time.sleep(0.01)
    check(saw_503, '/readyz 503 once SIGTERM began the shutdown')
    try:
        rc = dev.proc.wait(timeout=30)
    except Exception:
        rc = None
    check(rc == 0, 'clean exit after SIGTERM (rc=%s)' % rc, dev.stderr())


def main():
    meridian, names_tool = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix='metrics-scrape-')
    dev = DevProcess(meridian, tmp, '--dc', 'west')
    other = None
    try:
        if not check(dev.wait_started(), 'meridian dev up with an admin port', dev.stderr()):
            return 1
        health_endpoints(dev)
        s, ok = dev.wait_for(lambda s: total(s, 'meridian_cluster_brokers') == 3, timeout=20)
        check(ok, 'cluster_brokers == 3', s.get('meridian_cluster_brokers'))
        ctl = s.get('meridian_cluster_controller_active', [])
        check(len(ctl) == 3 and sum(v for _, v in ctl) == 1, 'one active controller of 3', ctl)
        check(total(s, 'meridian_cluster_unavailable_partitions') == 0, 'no unavailable partitions')
        info = s.get('meridian_build_info', [])
        check(len(info) == 1 and info[0][1] == 1 and info[0][0].get('version'),
              'build_info{version, revision} = 1', info)

        produce_and_consume(dev.bootstrap)
        s, ok = dev.wait_for(after_produce, timeout=30)
        check(ok, 'metrics settle after %d acks=all records' % RECORDS)
        check_after_produce(s)
        fetched_before = total(s, 'meridian_records_fetched_total', topic=TOPIC)
        check(consume(dev.bootstrap) == RECORDS, 'consumed %d records' % RECORDS)
        s, ok = dev.wait_for(lambda s: total(s, 'meridian_records_fetched_total', topic=TOPIC)
                             >= fetched_before + RECORDS, timeout=10)
        check(ok, 'records_fetched_total grew by >= %d' % RECORDS,
              s.get('meridian_records_fetched_total'))
        check(total(s, 'meridian_request_bytes_total', topic=TOPIC, request='fetch')
              >= RECORDS * 100, 'request_bytes_total{request=fetch} >= payload')
        check(total(s, 'meridian_request_latency_seconds_count', request='fetch') >= 1,
              'request_latency_seconds{request=fetch} observed')

        group_metrics(dev)

        missing = [n for n in REQUIRED if not family_present(s, n)]
        check(not missing, 'all %d broker/cluster families exported' % len(REQUIRED), missing)
        others = [n for n in catalogue(names_tool) if n not in REQUIRED]
        absent = [n for n in others if not family_present(s, n)]
        print('info: other catalogue families not exported by this process: %s' % absent)
        check(all(n in catalogue(names_tool) for n in REQUIRED), 'REQUIRED is in the catalogue')

        # A busy admin port is reported; the brokers still serve.
        port = dev.admin.rsplit(':', 1)[1]
        other = DevProcess(meridian, tmp, admin_port=int(port), name='busy')
        up = other.wait_started(need_admin=False)
        check(up and other.admin is None and 'admin port' in other.stderr(),
              'busy --admin-port: reported on stderr, brokers serve', other.stderr())
        other.close()

        graceful_shutdown(dev)
    finally:
        dev.close()
        if other:
            other.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary('metrics_scrape_test')


if __name__ == '__main__':
    sys.exit(main())
