/**
 * Child process for rule-store-crash.test.ts: adds groups to one namespace of a rule store, one
 * after another, printing `ack <n>` when the n-th write resolved. The parent kills it with SIGKILL
 * at an arbitrary moment. Each group holds enough rules that the namespace file grows large and a
 * kill often lands inside a write.
 */
import { RuleStore } from '../../../src/ruler/rule-store.js';
import { createLogger } from '../../../src/util/logger.js';

const [dir, namespace] = process.argv.slice(2) as [string, string];
const store = await RuleStore.open({ dataDir: dir, maxGroupsPerTenant: 100_000, maxRulesPerGroup: 1000, log: createLogger({ level: 'silent' }) });
process.stdout.write('ready\n');
for (let n = 0; ; n++) {
  const rules = Array.from({ length: 150 }, (_, i) => ({ alert: `A${i}`, expr: `sum(count_over_time({app="g${n}"} |= "ERROR" [1m])) > ${i}`, for: '5m', labels: { group: `g${n}` } }));
  await store.putGroup('fake', namespace, { name: `g${n}`, rules });
  process.stdout.write(`ack ${n}\n`);
}
