/** The values file is strict: every mistake is refused with the key path, never rendered half right. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployValues, parseDeployValues } from '../../../src/deploy/values.js';

test('defaults are the seeds\' figures', () => {
  const v = parseDeployValues({});
  assert.equal(v.namespace, 'logwharf');
  assert.equal(v.server.storage_size, '30Gi');
  assert.deepEqual(v.agent.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(v.agent.tolerations, [{ operator: 'Exists' }]);
  assert.equal(v.tokens.enabled, false);
  assert.equal(v.grafana.enabled, true);
});

test('malformed values are refused with the key path and what was expected', () => {
  const cases: [unknown, RegExp][] = [
    [{ namespce: 'x' }, /namespce/],
    [{ namespace: 'Logs_1' }, /namespace: a DNS-1123 name/],
    [{ server: { storage_size: '30 GB' } }, /server\.storage_size: a Kubernetes quantity/],
    [{ agent: { resources: { limits: { cpu: '100m' } } } }, /agent\.resources\.limits\.memory/],
    [{ agent: { resources: { limits: { cpu: '100m', memory: '128Mi', gpu: '1' } } } }, /gpu/],
    [{ agent: { tolerations: [{ operator: 'Exists', value: 'x' }] } }, /operator Exists takes no value/],
    [{ agent: { tolerations: [{ key: 'a', toleration_seconds: 5 }] } }, /toleration_seconds needs effect NoExecute/],
    [{ agent: { positions_dir: 'relative/dir' } }, /positions_dir: an absolute host path/],
    [{ server: { retention: { period: '7 days' } } }, /server\.retention\.period: a duration/],
    [{ server: { retention: { streams: [{ selector: '{a="b"}' }] } } }, /server\.retention\.streams\.0\.period/],
    [{ tokens: { enabled: 'yes' } }, /tokens\.enabled/],
    [{ alertmanager_url: 'alertmanager:9093' }, /alertmanager_url: http\(s\) URL/],
    [{ image: 'my image' }, /image: an image reference/],
    [{ tls: { secret: 'Bad_Name' } }, /tls\.secret/],
    [{ network_policy: { allowed_namespaces: ['ok', 'NOT OK'] } }, /network_policy\.allowed_namespaces\.1/],
    [{ server: { node_selector: { 'bad key!': 'x' } } }, /node_selector/],
    [{ tls: { cert_manager_issuer: { name: 'ca' } } }, /tls\.cert_manager_issuer: cert_manager_issuer needs tls\.secret/],
    [{ tls: { secret: 's', cert_manager_issuer: { name: 'ca', kind: 'Cluster' } } }, /tls\.cert_manager_issuer\.kind/],
    [{ collector: { enabled: true, image: 'a b' } }, /collector\.image/],
  ];
  for (const [raw, expected] of cases) {
    assert.throws(() => parseDeployValues(raw), (e: Error) => {
      assert.match(e.message, /^invalid configuration/);
      assert.match(e.message, expected, JSON.stringify(raw));
      return true;
    });
  }
});

test('a values file that is missing, not YAML or not a mapping is a clear error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-values-'));
  try {
    assert.throws(() => loadDeployValues(join(dir, 'nope.yaml')), /cannot read config file .*nope\.yaml/);
    writeFileSync(join(dir, 'bad.yaml'), 'namespace: [unclosed\n');
    assert.throws(() => loadDeployValues(join(dir, 'bad.yaml')), /bad\.yaml is not valid YAML/);
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    assert.throws(() => loadDeployValues(join(dir, 'list.yaml')), /must be a YAML mapping/);
    writeFileSync(join(dir, 'ok.yaml'), 'namespace: logs\nserver:\n  storage_size: 50Gi\n');
    const v = loadDeployValues(join(dir, 'ok.yaml'));
    assert.equal(v.namespace, 'logs');
    assert.equal(v.server.storage_size, '50Gi');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
