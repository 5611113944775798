"""Static checks of the deployment files (deploy/): every YAML parses, every broker config
loads with `meridian config print --config`, gateway and mirror configs use only keys of their
schemas, and ports, images, config paths and commands agree across systemd units, compose,
Kubernetes manifests, the two-DC configs, Prometheus and the demo.
Usage: deploy_files_test.py MERIDIAN SOURCE_DIR"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from check_lib import expect as check, summary  # noqa: E402

def config_print(meridian, path, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([meridian, 'config', 'print', '--config', path], capture_output=True,
                       text=True, env=e, timeout=30)
    return r.returncode, r.stdout + r.stderr


def schema_keys(src, rel, patterns):
    text = open(os.path.join(src, rel)).read()
    keys = set()
    for p in patterns:
        keys |= set(re.findall(p, text))
    return keys


def host_ports(listeners):
    return [tuple(l.split('://', 1)[-1].rsplit(':', 1)) for l in str(listeners).split(',')]


def main():
    meridian, src = sys.argv[1], sys.argv[2]
    deploy = os.path.join(src, 'deploy')
    docs = {}
    for path in sorted(glob.glob(deploy + '/**/*.y*ml', recursive=True) +
                       glob.glob(src + '/grafana/provisioning/**/*.yaml', recursive=True)):
        try:
            docs[path] = [d for d in yaml.safe_load_all(open(path)) if d is not None]
            ok = True
        except yaml.YAMLError as e:
            ok = False
            docs[path] = []
            err = e
        check(ok, 'YAML parses: ' + os.path.relpath(path, src), '' if ok else err)
    check(len(docs) >= 15, '%d YAML files found' % len(docs))

    # Broker configs load through the real config loader (unknown keys are rejected).
    broker_files = (glob.glob(deploy + '/config/dc-zookeeper/broker-*.yaml') +
                    glob.glob(deploy + '/config/two-dc/*-broker.yaml'))
    for path in broker_files:
        rc, out = config_print(meridian, path)
        check(rc == 0, 'meridian config print --config ' + os.path.relpath(path, src), out)
    rc, out = config_print(meridian, deploy + '/compose/broker.yaml',
                           {'MERIDIAN_BROKER_ID': '2', 'MERIDIAN_LISTENERS': 'PLAINTEXT://broker-2:9192'})
    check(rc == 0 and re.search(r'broker\.id\s*[:=]?\s*2', out) is not None,
          'compose broker.yaml loads with MERIDIAN_* overrides', out)
    k8s = docs[deploy + '/k8s/meridian.yaml']
    cm = [d for d in k8s if d.get('kind') == 'ConfigMap'][0]
    with tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False) as f:
        f.write(cm['data']['broker.yaml'])
    rc, out = config_print(meridian, f.name, {'MERIDIAN_BROKER_ID': '1'})
    os.unlink(f.name)
    check(rc == 0, 'k8s ConfigMap broker.yaml loads', out)

    # Gateway and mirror configs: keys of their schemas only.
    gw_keys = schema_keys(src, 'gateway/gateway_config.cc',
                          [r'\{"([a-z0-9_.]+)", Type::', r'\{"([a-z0-9_]+)", "[a-z.]+"\}'])
    check(len(gw_keys) > 10, 'gateway schema has %d keys' % len(gw_keys))
    gw_files = glob.glob(deploy + '/config/**/*gateway.yaml', recursive=True) + \
        [deploy + '/compose/gateway.yaml']
    gw_docs = {p: docs[p][0] for p in gw_files}
    gw_docs['k8s gateway.yaml'] = yaml.safe_load(cm['data']['gateway.yaml'])
    for name, doc in gw_docs.items():
        unknown = set(doc) - gw_keys
        check(not unknown, 'gateway config keys known: ' + os.path.basename(name), unknown)
    mirror_keys = schema_keys(src, 'cli/mirror_command.cc',
                              [r'str\("([a-z.]+)"', r'KeySpec \w+\{"([a-z.]+)"'])
    for path in glob.glob(deploy + '/config/**/mirror*.yaml', recursive=True):
        unknown = set(docs[path][0]) - mirror_keys
        check(mirror_keys and not unknown, 'mirror config keys known: ' + os.path.basename(path),
              unknown)

    # Two DCs: ports agree with prometheus.yml and demo.sh; mirror/gateway point at brokers.
    east = docs[deploy + '/config/two-dc/east-broker.yaml'][0]
    west = docs[deploy + '/config/two-dc/west-broker.yaml'][0]
    prom = docs[deploy + '/prometheus/prometheus.yml'][0]
    targets = {t: sc['labels']['datacenter'] for job in prom['scrape_configs']
               for sc in job['static_configs'] if 'labels' in sc for t in sc['targets']}
    check(targets.get(east['admin.listener']) == 'east' and
          targets.get(west['admin.listener']) == 'west',
          'prometheus.yml scrapes the east/west admin listeners', targets)
    for rf in prom.get('rule_files', []):
        check(os.path.exists(os.path.join(deploy, 'prometheus', rf)), 'rule file exists: ' + rf)
    demo = open(deploy + '/demo.sh').read()
    for dc, cfg in (('EAST', east), ('WEST', west)):
        kport = host_ports(cfg['listeners'])[0][1]
        aport = cfg['admin.listener'].rsplit(':', 1)[1]
        check('%s_KAFKA=%s' % (dc, kport) in demo and '%s_ADMIN=%s' % (dc, aport) in demo,
              'demo.sh uses the %s ports of deploy/config/two-dc' % dc.lower())
    mirror = docs[deploy + '/config/two-dc/mirror-east-to-west.yaml'][0]
    check(mirror['source.bootstrap.servers'] == ':'.join(host_ports(east['listeners'])[0]) and
          mirror['target.bootstrap.servers'] == ':'.join(host_ports(west['listeners'])[0]),
          'mirror link points at the east and west listeners')
    used = [east['admin.listener'], west['admin.listener'], '%s:%s' % (mirror['admin.host'],
                                                                     mirror['admin.port'])]
    for dc, cfg in (('east', east), ('west', west)):
        gw = docs[deploy + '/config/two-dc/%s-gateway.yaml' % dc][0]
        check(gw['bootstrap.servers'] == ':'.join(host_ports(cfg['listeners'])[0]),
              '%s gateway bootstraps from the %s broker' % (dc, dc))
        check(gw.get('admin.listener') and gw['admin.listener'] not in used,
              '%s gateway has its own admin.listener' % dc, gw.get('admin.listener'))
        used.append(gw.get('admin.listener'))

    # systemd: config paths and subcommands.
    for unit in glob.glob(deploy + '/systemd/*.service'):
        text = open(unit).read()
        m = re.search(r'^ExecStart=/usr/local/bin/meridian (.*?) --config (\S+)$', text, re.M)
        if not check(m is not None, os.path.basename(unit) + ': ExecStart runs meridian --config'):
            continue
        cmd = m.group(1).split()
        # CLI11 prints the parent's help for an unknown subcommand: look for its own usage.
        r = subprocess.run([meridian] + cmd + ['--help'], capture_output=True, text=True,
                           timeout=30)
        exists = r.returncode == 0 and ('Usage: meridian ' + ' '.join(cmd)) in r.stdout
        check(exists, '`meridian %s` exists' % ' '.join(cmd), r.stdout[:300])
        check(m.group(2).startswith('/etc/meridian/'), 'config under /etc/meridian')
        check('[Install]' in text and 'WantedBy=' in text, os.path.basename(unit) + ' installable')

    # Compose: images, mounts, ports.
    compose_dir = deploy + '/compose'
    comp = docs[compose_dir + '/docker-compose.yml'][0]
    svcs = comp['services']
    built = [n for n, s in svcs.items() if 'build' in s]
    check(len(built) == 1 and svcs[built[0]]['image'] == 'meridian:latest',
          'one service builds meridian:latest')
    check(os.path.exists(os.path.join(src, svcs[built[0]]['build']['context'].replace('../..', '.'),
                                      svcs[built[0]]['build']['dockerfile'])),
          'compose Dockerfile exists')
    for name, s in svcs.items():
        img = s.get('image', '')
        check(img == 'meridian:latest' or re.match(r'^[\w./-]+:[\w.-]+$', img),
              'compose %s: image pinned (%s)' % (name, img))
        for v in s.get('volumes', []):
            host = v.split(':')[0]
            if host.startswith('.'):
                check(os.path.exists(os.path.normpath(os.path.join(compose_dir, host))),
                      'compose %s mounts existing %s' % (name, host))
    compose_broker = docs[compose_dir + '/broker.yaml'][0]
    admin_port = compose_broker['admin.listener'].rsplit(':', 1)[1]
    brokers = {n: s for n, s in svcs.items() if n.startswith('broker-')}
    addrs = []
    for name, s in brokers.items():
        host, port = host_ports(s['environment']['MERIDIAN_LISTENERS'])[0]
        addrs.append('%s:%s' % (host, port))
        published = [p.split(':')[-1] for p in s['ports']]
        check(host == name and port in published and admin_port in published,
              'compose %s: listener host = service, Kafka and admin ports published' % name)
    gwc = docs[compose_dir + '/gateway.yaml'][0]
    check(sorted(gwc['bootstrap.servers'].split(',')) == sorted(addrs),
          'compose gateway bootstraps from every broker')
    cprom = docs[compose_dir + '/prometheus.yml'][0]
    ctargets = cprom['scrape_configs'][0]['static_configs'][0]['targets']
    check(sorted(ctargets) == sorted('%s:%s' % (n, admin_port) for n in brokers),
          'compose prometheus scrapes every broker admin port')
    gw_admin = gwc['admin.listener'].rsplit(':', 1)[1]
    all_targets = [t for sc in cprom['scrape_configs'][0]['static_configs'] for t in sc['targets']]
    check('gateway:' + gw_admin in all_targets and
          gw_admin in [p.split(':')[-1] for p in svcs['gateway']['ports']],
          'compose gateway admin port published and scraped', all_targets)

    # Kubernetes: selectors, probes, ports, image and the gateway's bootstrap names.
    kinds = [d.get('kind') for d in k8s]
    check(all(d.get('apiVersion') and d.get('metadata', {}).get('name') for d in k8s),
          'k8s: every object has apiVersion and metadata.name')
    workloads = [d for d in k8s if d['kind'] in ('StatefulSet', 'Deployment')]
    for svc in [d for d in k8s if d['kind'] == 'Service']:
        sel = svc['spec']['selector']
        check(any(all(w['spec']['template']['metadata']['labels'].get(k) == v
                      for k, v in sel.items()) for w in workloads),
              'k8s Service %s selects a workload' % svc['metadata']['name'])
    for w in workloads:
        for c in w['spec']['template']['spec']['containers']:
            names = {p['name'] for p in c.get('ports', [])}
            for probe in ('livenessProbe', 'readinessProbe'):
                if probe in c:
                    port = c[probe]['httpGet']['port']
                    check(port in names or isinstance(port, int),
                          'k8s %s %s port %s declared' % (w['metadata']['name'], probe, port))
            check(c['image'].split(':')[0] in ('meridian', 'zookeeper'),
                  'k8s image %s' % c['image'])
    sts = [w for w in workloads if w['metadata']['name'] == 'meridian-broker'][0]
    check(sts['spec']['serviceName'] == 'meridian-broker' and 'StatefulSet' in kinds,
          'k8s brokers: StatefulSet with headless service')
    k8s_gw = gw_docs['k8s gateway.yaml']
    expected = ['meridian-broker-%d.meridian-broker.meridian.svc.cluster.local:9092' % i
                for i in range(sts['spec']['replicas'])]
    check(k8s_gw['bootstrap.servers'].split(',') == expected,
          'k8s gateway bootstraps from each broker pod')
    ann = sts['spec']['template']['metadata']['annotations']
    cm_admin = yaml.safe_load(cm['data']['broker.yaml'])['admin.listener'].rsplit(':', 1)[1]
    check(ann['prometheus.io/port'] == cm_admin, 'k8s scrape annotation = admin.listener port')
    gw_dep = [w for w in workloads if w['metadata']['name'] == 'meridian-gateway'][0]
    gw_tpl = gw_dep['spec']['template']
    gw_admin_port = k8s_gw['admin.listener'].rsplit(':', 1)[1]
    gw_ports = {p['name']: str(p['containerPort']) for p in gw_tpl['spec']['containers'][0]['ports']}
    check(gw_tpl['metadata']['annotations']['prometheus.io/port'] == gw_admin_port and
          gw_ports.get('admin') == gw_admin_port,
          'k8s gateway: scrape annotation and admin port = its admin.listener')

    return summary('deploy_files_test')


if __name__ == '__main__':
    sys.exit(main())
