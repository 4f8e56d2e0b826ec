/**
 * Child process of ship-crash.test.ts: a shipper with the disk buffer, pointed at a server that is
 * down, sends numbered items as fast as the buffer takes them and prints `acked <n>` for each
 * acknowledgement, until it is killed with SIGKILL.
 */
import { createShipper } from '../../../src/agent/ship/shipper.js';
import { shipperConfig, shipperDeps } from './ship-helpers.js';

const [url, dir, startTs] = process.argv.slice(2) as [string, string, string];
const shipper = createShipper(shipperConfig(url, {}, { buffer: { enabled: true, maxBytes: 256 << 20, dir } }), shipperDeps());
let ts = BigInt(startTs);
for (let i = 0; ; i++) {
  await shipper.ready();
  const entries = Array.from({ length: 20 }, (_, j) => ({ ts: ts++, line: `crash item ${i} line ${j}`.padEnd(120, '.') }));
  void shipper.send({ streams: [{ labels: { job: 'kill9', src: String(i % 3) }, entries }], lines: 20, bytes: 20 * 120 }).then(() => {
    process.stdout.write(`acked ${i}\n`);
  });
  if (i % 8 === 7) await new Promise((r) => setImmediate(r));
}
