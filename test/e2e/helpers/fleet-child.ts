/**
 * The real server (createServer, fleet.db in the given data directory) in a child process that a test
 * can kill with SIGKILL, for the fleet's crash tests. Agents' messages reach its FleetController over
 * stdin as JSON lines `{"n": <request no>, "report": AgentReport}` and its answers come back on
 * stdout as `{"n", "answer"}` — the OpAMP wire transport (POST /v1/opamp) is not part of the fleet's
 * state and has its own tests. Operators talk to it over HTTP as usual; the first stdout line is
 * `{"ready": true, "url": …}`.
 *
 *   node --import tsx test/e2e/helpers/fleet-child.ts <data dir> <fleet settings as JSON>
 */
import { createInterface } from 'node:readline';
import { createServer } from '../../../src/app/server.js';
import { serverConfigSchema } from '../../../src/config/server.js';
import type { AgentReport } from '../../../src/fleet/model.js';

const [dir, fleetJson] = process.argv.slice(2);
const config = serverConfigSchema.parse({ listen: '127.0.0.1:0', data: dir, log_level: 'silent', ui: { enabled: false }, fleet: JSON.parse(fleetJson ?? '{}') });
const server = createServer(config);
const { url } = await server.start();
process.stdout.write(JSON.stringify({ ready: true, url }) + '\n');

interface WireReport extends Omit<AgentReport, 'effectiveConfig'> {
  effectiveConfig?: Record<string, { body: string; contentType: string }>;
}

for await (const line of createInterface({ input: process.stdin })) {
  const { n, report } = JSON.parse(line) as { n: number; report: WireReport };
  const effective = report.effectiveConfig && Object.fromEntries(Object.entries(report.effectiveConfig).map(([k, v]) => [k, { body: Buffer.from(v.body), contentType: v.contentType }]));
  const answer = await server.fleet.controller.report({ ...report, effectiveConfig: effective } as AgentReport);
  const rc = answer.remoteConfig && {
    hash: answer.remoteConfig.hash,
    files: Object.fromEntries(Object.entries(answer.remoteConfig.files).map(([k, v]) => [k, { body: v.body.toString('utf8'), contentType: v.contentType }])),
  };
  process.stdout.write(JSON.stringify({ n, answer: { ...answer, remoteConfig: rc } }) + '\n');
}
