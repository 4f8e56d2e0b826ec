/**
 * `logwharf up --listen 0.0.0.0:0` with TLS (issue #11): the embedded agent cannot ship to the
 * wildcard address it would be handed, nor check a certificate against it. It ships to loopback,
 * trusting the server's own certificate under a name that certificate holds; here a certificate
 * for a host name only (no IP), so both the address and the name had to be chosen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { removeDir, runCli, tempDir } from '../helpers/server.js';
import { issueCert, makeCa } from '../../helpers/certs.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startCli } from './helpers.js';

test('logwharf up on 0.0.0.0 with a certificate for a host name: the embedded agent\'s lines arrive', async () => {
  const dir = tempDir('up-tls-');
  const ca = makeCa(dir, 'ca');
  const cert = issueCert(dir, ca, 'server', { usage: 'server', san: ['DNS:logs.example.test'] });
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'app.log'), 'before up\n');
  const serverYaml = join(dir, 'server.yaml');
  writeFileSync(serverYaml, stringify({ tls: { cert_file: cert.cert, key_file: cert.key } }));
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(
    agentYaml,
    stringify({
      client: { batch_wait: '100ms', min_backoff: '100ms', max_backoff: '1s' },
      docker: { enabled: false },
      kubernetes: { enabled: false, api_url: '' },
      files: [{ paths: [join(logs, '*.log')], labels: { job: 'up-tls' } }],
      poll_interval: '100ms',
    }),
  );
  const up = await startCli(['up', '--listen', '0.0.0.0:0', '--data', join(dir, 'data'), '--config', serverYaml, '--agent-config', agentYaml, '--log-level', 'warn'], 'logwharf server ready');
  try {
    const address = new URL(up.ready.address as string);
    assert.equal(address.protocol, 'https:');
    assert.equal(address.hostname, '0.0.0.0');
    appendFileSync(join(logs, 'app.log'), 'after up\n');
    // Read back as any client would: over loopback, checking the certificate's name.
    const read = ['--addr', `https://127.0.0.1:${address.port}`, '--ca-cert', ca.cert, '--tls-server-name', 'logs.example.test'];
    const lines = await waitFor('the embedded agent ships both lines', async () => {
      const r = await runCli(['query', ...read, '{job="up-tls"}', '--since', '1h', '--output', 'raw']);
      const got = r.stdout.trim().split('\n').filter((l) => l !== '').sort();
      return got.length >= 2 ? got : undefined;
    }, { timeoutMs: 15_000 });
    assert.deepEqual(lines, ['after up', 'before up']);
    // Without the name, the same client is refused for it: the certificate does not name 127.0.0.1.
    const unnamed = await runCli(['labels', '--addr', `https://127.0.0.1:${address.port}`, '--ca-cert', ca.cert]);
    assert.equal(unnamed.code, 1);
    assert.match(unnamed.stderr, /does not name 127\.0\.0\.1/);
    // The agent got through at once: not one refused push on the way.
    assert.deepEqual(up.stdoutLines().filter((l) => /push failed|ERR_TLS|UNABLE_TO_VERIFY/.test(l)), []);
  } finally {
    up.proc.kill('SIGTERM');
    assert.equal(await up.exited, 0, up.stderr());
    removeDir(dir);
  }
});
