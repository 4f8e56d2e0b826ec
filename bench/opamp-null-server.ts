/**
 * For bench/opamp.bench.ts (CONTROLLER=null): the real server (src, through tsx) with a fleet
 * controller that answers every report with nothing, so the bench measures the OpAMP transport
 * alone (HTTP, decode, mapping, encode) apart from the fleet's database work. Prints the server's
 * ready line as `logwharf server` does.
 */
import { createServer } from '../src/app/server.js';
import { serverConfigSchema } from '../src/config/server.js';

const data = process.argv[2]!;
const role = createServer(serverConfigSchema.parse({ listen: '127.0.0.1:0', data, log_level: 'warn' }), { fleet: { report: async () => ({}) } });
const { url } = await role.start();
process.stdout.write(JSON.stringify({ msg: 'logwharf server ready', address: url }) + '\n');
process.on('SIGTERM', () => void role.close().then(() => process.exit(0)));
