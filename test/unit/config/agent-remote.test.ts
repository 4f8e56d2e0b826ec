/**
 * Merging a remote agent configuration over the local one (issue #13): local-only keys keep the
 * local values whatever the remote text says, mappings merge key by key, lists are replaced, errors
 * name the remote text's line, and the reported effective configuration holds no credential.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { localOnlyChanges, mergeRemoteConfig, remotePartYaml } from '../../../src/config/agent-remote.js';

const local = agentConfigSchema.parse({
  client: { url: 'http://a:3100', bearer_token: 'secret', batch_wait: '1s', tls: { ca_file: '/etc/ca.pem' } },
  data: '/var/lib/agent',
  files: [{ paths: ['/var/log/a.log'] }],
  pipeline: { drop: [{ line: 'x' }] },
  control: { url: 'http://a:3100', attributes: { cluster: 'eu' } },
});

test('remote values merge over the local file; local-only keys keep the local values', () => {
  const { config, ignored } = mergeRemoteConfig(
    local,
    'client:\n  url: http://b:3100\n  bearer_token: stolen\n  tls: {insecure_skip_verify: true}\ndata: /tmp/x\ncontrol: {enabled: false}\nfiles:\n  - paths: [/var/log/b.log]\n',
  );
  assert.equal(config.client.url, 'http://b:3100');
  assert.equal(config.client.batch_wait, '1s', 'keys the remote text does not name stay as the file has them');
  assert.equal(config.client.bearer_token, 'secret');
  assert.deepEqual(config.client.tls, local.client.tls);
  assert.equal(config.data, '/var/lib/agent');
  assert.deepEqual(config.control, local.control);
  assert.deepEqual(config.files.map((f) => f.paths), [['/var/log/b.log']], 'lists are replaced, not appended to');
  assert.deepEqual(config.pipeline.drop, local.pipeline.drop);
  assert.deepEqual(ignored, ['data', 'control', 'client.bearer_token', 'client.tls']);
  assert.deepEqual(localOnlyChanges(local, config), []);
});

test('a bad remote configuration is an error naming the problem and its line', () => {
  assert.throws(() => mergeRemoteConfig(local, 'pipeline:\n  drop:\n    - line: x\n      colour: red\n'), /colour.*line 4|line 4.*colour/s);
  assert.throws(() => mergeRemoteConfig(local, 'client:\n  batch_wait: soon\n'), /batch_wait/);
  assert.throws(() => mergeRemoteConfig(local, '- a\n- b\n'), /mapping/);
  assert.throws(() => mergeRemoteConfig(local, 'client: {url: [\n'), /not valid YAML/);
});

test('the effective configuration reported holds only what may change remotely', () => {
  const text = remotePartYaml(local);
  assert.match(text, /url: http:\/\/a:3100/);
  assert.match(text, /batch_wait: 1s/);
  for (const hidden of ['secret', 'ca.pem', '/var/lib/agent', 'control', 'metrics_listen']) assert.ok(!text.includes(hidden), `${hidden} not reported`);
});
