/**
 * A real Alertmanager (Debian's prometheus-alertmanager 0.25) for tests: a temporary config file and
 * storage dir, a free port, no cluster gossip (`--cluster.listen-address=`), ready on /-/ready; and
 * `amtool` against it. Close it in `after`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { GettableAlert } from '../../src/api/alertmanager.js';
import { requireBinary, startPeer, type PeerProcess } from './peer-process.js';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const AMTOOL_BIN = '/usr/bin/amtool';

export interface RunningAlertmanager extends PeerProcess {
  /** Stops it for good and removes its files (stop() keeps them for restart()). */
  close(): Promise<void>;
  /** GET /api/v2/alerts (all of them, silenced included). */
  alerts(): Promise<GettableAlert[]>;
  /** Runs amtool with --alertmanager.url set to this Alertmanager; resolves with its stdout. */
  amtool(...args: string[]): Promise<string>;
}

/** A route for tests: group by alertname, notify within about a second, repeat only after an hour. */
export function webhookConfig(webhookUrl: string, route: Record<string, string | string[]> = {}): string {
  const r = { receiver: 'hook', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h', ...route };
  // YAML is a superset of JSON, so the config is written as JSON.
  return JSON.stringify({ route: r, receivers: [{ name: 'hook', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }] }, null, 2);
}

/**
 * Starts Alertmanager with `config` (YAML text, e.g. from webhookConfig). Resolves undefined when the
 * binaries are missing outside CI (the test is then skipped); throws in CI.
 */
export async function startAlertmanager(t: TestContext, config: string): Promise<RunningAlertmanager | undefined> {
  if (!requireBinary(t, ALERTMANAGER_BIN, 'prometheus-alertmanager') || !requireBinary(t, AMTOOL_BIN, 'prometheus-alertmanager')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-am-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, config);
  let peer: PeerProcess;
  try {
    peer = await startPeer({
      name: 'Alertmanager',
      bin: ALERTMANAGER_BIN,
      args: (port) => [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=debug',
      ],
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...peer,
    async close() {
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async alerts() {
      const res = await fetch(`${peer.url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: ${res.status} ${await res.text()}`);
      return (await res.json()) as GettableAlert[];
    },
    amtool(...args) {
      return new Promise((resolve, reject) => {
        execFile(AMTOOL_BIN, [`--alertmanager.url=${peer.url}`, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`amtool ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
          else resolve(String(stdout).trim());
        });
      });
    },
  };
}
