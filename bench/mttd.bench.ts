/**
 * Detection time (issue #9), the mission's MTTD: `logwharf up` with the defaults it ships, the
 * built-in notifier sending to a webhook receiver in this process, and a real Docker container that
 * starts writing error lines. Each trial measures from `docker run` returning to the webhook
 * receiving a firing alert for that container, for the rule
 *
 *   sum by (container) (count_over_time({container=~"mttd-.+"} |= "ERROR" [1m])) > 5
 *
 * (the issue's `{container="x"}` with a new container per trial, so every trial starts from no
 * alert). Containers write 5 error lines a second, so the count passes 5 about 1.2 s after start.
 *
 *   npm run build && node --import tsx bench/mttd.bench.ts          # TRIALS=20 by default
 *
 * Each trial starts at a random moment (seeded: TEST_SEED, printed), so trials do not all start at the
 * same phase of the ruler's evaluation interval and the spread is the one a user would see.
 *
 * Target: p99 ≤ 30 s over 20 trials.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDocker, removeContainer, runContainer } from '../test/helpers/docker.js';
import { seededRandom } from '../test/helpers/random.js';
import { median, percentile, startLogwharf } from './harness.js';

const TRIALS = Number(process.env.TRIALS ?? 20);
const TRIAL_TIMEOUT_MS = 120_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const env = await ensureDocker();
  if (!env) throw new Error('this benchmark needs a Docker engine');
  // The webhook receiver: the first firing alert seen per container.
  const firstFiring = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const receiver = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as { alerts: Array<{ status: string; labels: Record<string, string> }> };
    const now = Date.now();
    for (const a of body.alerts) {
      const c = a.labels.container;
      if (a.status !== 'firing' || !c || firstFiring.has(c)) continue;
      firstFiring.set(c, now);
      waiters.get(c)?.();
    }
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;

  const dir = mkdtempSync(join(tmpdir(), 'lw-mttd-'));
  mkdirSync(join(dir, 'rules/fake'), { recursive: true });
  writeFileSync(
    join(dir, 'rules/fake/mttd.yaml'),
    [
      'groups:',
      '  - name: mttd',
      '    rules:',
      '      - alert: ContainerErrors',
      '        expr: sum by (container) (count_over_time({container=~"mttd-.+"} |= "ERROR" [1m])) > 5',
      '        annotations:',
      '          summary: "{{ $labels.container }} logged {{ $value }} errors in a minute"',
      '',
    ].join('\n'),
  );
  // Only what a user must write to get notified: the rules directory and a receiver. Intervals are up's defaults.
  writeFileSync(
    join(dir, 'logwharf.yaml'),
    [
      'ruler:',
      `  rules_dir: ${join(dir, 'rules')}`,
      'notify:',
      '  route:',
      '    receiver: hook',
      '    group_by: [alertname, container]',
      '  receivers:',
      '    - name: hook',
      '      webhook_configs:',
      `        - url: ${hook}`,
      '',
    ].join('\n'),
  );
  const up = await startLogwharf('up', ['--data', join(dir, 'data'), '--config', join(dir, 'logwharf.yaml'), '--log-level', 'warn']);

  const results: number[] = [];
  const random = seededRandom({ diagnostic: (m) => console.log(m) });
  const run = Date.now().toString(36);
  try {
    for (let i = 0; i < TRIALS; i++) {
      const name = `mttd-${run}-${i}`;
      const fired = new Promise<void>((resolve, reject) => {
        waiters.set(name, resolve);
        setTimeout(() => reject(new Error(`no alert for ${name} within ${TRIAL_TIMEOUT_MS} ms`)), TRIAL_TIMEOUT_MS).unref();
      });
      // A random start within one default evaluation interval (10 s under up).
      await new Promise((r) => setTimeout(r, random.int(10_000)));
      const t0 = Date.now();
      const id = await runContainer(['--name', name, env.image, 'sh', '-c', 'while true; do echo "ERROR payment failed: upstream timeout"; sleep 0.2; done']);
      try {
        await fired;
        const ms = firstFiring.get(name)! - t0;
        results.push(ms);
        console.log(`trial ${i + 1}/${TRIALS}: ${(ms / 1000).toFixed(1)} s`);
      } finally {
        await removeContainer(id);
      }
    }
  } finally {
    await up.stop();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`detection time over ${results.length} trials: median ${s(median(results))}, p90 ${s(percentile(results, 90))}, p99 ${s(percentile(results, 99))}, max ${s(percentile(results, 100))} (target p99 ≤ 30 s)`);
}

await main();
