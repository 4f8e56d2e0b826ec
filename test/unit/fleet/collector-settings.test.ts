/** `fleet.collector` in the server's configuration: malformed values are refused with the key named, as every setting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverConfigSchema } from '../../../src/config/server.js';
import { collectorFleetSettings } from '../../../src/fleet/collectors.js';

test('fleet.collector: parsed into the fleet\'s settings; a bad URL, variable name or unknown key is refused', () => {
  const ok = serverConfigSchema.parse({ fleet: { collector: { server_url: 'https://logs.example:3100', token_env: 'LOGWHARF_TOKEN', tenant: 'a', ca_file: '/ca.pem' } } });
  assert.deepEqual(collectorFleetSettings(ok.fleet.collector), { serverUrl: 'https://logs.example:3100', tokenFile: undefined, tokenEnv: 'LOGWHARF_TOKEN', tenant: 'a', caFile: '/ca.pem' });
  assert.deepEqual(collectorFleetSettings(serverConfigSchema.parse({}).fleet.collector), { serverUrl: undefined, tokenFile: undefined, tokenEnv: undefined, tenant: undefined, caFile: undefined }, 'unset by default');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ server_url: 'logs.example:3100' }, /an http:\/\/ or https:\/\/ URL/],
    [{ token_env: 'MY-TOKEN' }, /an environment variable name/],
    [{ token_file: '' }, /token_file/],
    [{ server: 'https://x' }, /server/],
  ];
  for (const [collector, re] of bad) {
    const r = serverConfigSchema.safeParse({ fleet: { collector } });
    assert.equal(r.success, false, JSON.stringify(collector));
    const text = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    assert.match(text, re, text);
    assert.match(text, /fleet\.collector/, text);
  }
});
