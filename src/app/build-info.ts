/** What /loki/api/v1/status/buildinfo answers. Grafana reads `version` to pick features. */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// `version` is the Loki API level we answer like, because clients (Grafana, Alloy) branch on it;
// our own version is in `logwharf`.
export const BUILD_INFO = {
  version: '3.4.0',
  logwharf: pkg.version,
  revision: '',
  branch: '',
  buildUser: '',
  buildDate: '',
  goVersion: '',
};

/**
 * What the built-in notifier's /alertmanager/api/v2/status reports: the Alertmanager API level it
 * answers like (amtool warns when this differs from its own version), and ours in `revision`.
 */
export const NOTIFY_VERSION_INFO = {
  version: '0.25.0',
  revision: `logwharf-${pkg.version}`,
  branch: '',
  buildUser: '',
  buildDate: '',
  goVersion: '',
};
