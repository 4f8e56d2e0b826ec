/**
 * The memory governor's policy (src/util/memory-governor.ts), with the process' resident memory and
 * the collector replaced by the test (the end-to-end test in test/e2e/server-memory.test.ts runs the
 * real one in a server): a collection only above the soft limit, at most one per gap, none again
 * until the process made minGain of new memory after one that could not get under the limit, and
 * the real V8 collector frees this thread's garbage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createMemoryGovernor, MB } from '../../../src/util/memory-governor.js';
import { exposedGc } from '../../../src/util/expose-gc.js';

function rig(limitMb: number, busy?: () => boolean) {
  let rss = 100 * MB;
  let t = 0;
  const collections: number[] = [];
  // What a collection leaves resident (the live set); set by each step.
  let afterGc = 100 * MB;
  const registry = new Registry();
  const gov = createMemoryGovernor({
    softLimitBytes: limitMb * MB,
    registry,
    minGapMs: 1000,
    minGainBytes: 32 * MB,
    burstBytes: 4 * MB,
    busy,
    rss: () => rss,
    // This thread's heap and buffers: the part of rss above an idle server's 90 MB.
    heapAndExternal: () => Math.max(0, rss - 90 * MB),
    now: () => t,
    gc: () => {
      collections.push(t);
      rss = afterGc;
      t += 5;
    },
  });
  return {
    gov,
    registry,
    collections,
    /** One check at `mb` resident, at `atMs`; a collection would leave `liveMb`. */
    at(mb: number, atMs: number, liveMb = 100) {
      rss = mb * MB;
      t = atMs;
      afterGc = liveMb * MB;
      return gov.check();
    },
  };
}

test('calm above the soft limit with garbage to win: one collection, then none within the gap', () => {
  const r = rig(200);
  assert.equal(r.at(100, 0), false, 'the first check only takes its measures');
  assert.equal(r.at(150, 200), false, 'below the limit');
  assert.equal(r.at(230, 400), false, 'grew 80 MB since the last check: a burst');
  assert.equal(r.at(231, 600), false, 'calm for one check only');
  assert.equal(r.at(231, 800), true, 'calm for two checks, 140 MB above the least seen: collected');
  assert.equal(r.at(240, 1000), false, 'within a second of the last one, and a burst');
  assert.equal(r.at(241, 1200), false);
  assert.equal(r.at(241, 1400), false, 'only 41 MB above what the last collection left... but within the gap');
  assert.equal(r.at(241, 1900), true, 'a second later, calm, more than 32 MB to win');
  assert.deepEqual(r.collections, [800, 1900]);
});

test('no collection in the middle of a burst, however high; it comes once the burst calms', () => {
  const r = rig(200);
  let mb = 100;
  r.at(mb, 0);
  // Ingest at full speed: +10 MB per check up to far above the limit.
  for (let t = 200; t <= 4000; t += 200) assert.equal(r.at((mb += 10), t), false, `at ${mb} MB, in a burst`);
  assert.equal(r.at(mb, 4200), false, 'first calm check');
  assert.equal(r.at(mb, 4400), true, 'second calm check: collected');
  assert.deepEqual(r.collections, [4400]);
});

test('no collection while pushes are in flight, even when allocation looks calm (a slow ingest); it comes at the second check after', () => {
  let pushes = true;
  const r = rig(200, () => pushes);
  r.at(100, 0);
  for (let t = 200; t <= 3000; t += 200) assert.equal(r.at(260, t), false, `at ${t} ms: a push in flight`);
  pushes = false;
  assert.equal(r.at(260, 3200), false, 'the first check without one');
  assert.equal(r.at(260, 3400), true, 'the second: collected');
});

test('when what remains is live, the next collection waits for minGain of new garbage', () => {
  const r = rig(200);
  r.at(100, 0);
  r.at(260, 200, 230);
  r.at(260, 400, 230);
  assert.equal(r.at(260, 600, 230), true, 'the first collection leaves 230 MB, above the limit');
  // 230 resident = 140 MB held is the new mark.
  for (const [mb, t] of [[232, 2000], [234, 2200], [236, 2400], [250, 2600], [252, 2800], [254, 3000]] as const) assert.equal(r.at(mb, t, 230), false, `${mb} MB: less than 32 MB above what the last left`);
  for (const [mb, t] of [[258, 3200], [262, 3400], [263, 3600]] as const) r.at(mb, t, 230);
  assert.equal(r.collections.length, 2, '33 MB above it and calm: collected again');
  // Memory that went down on its own (V8's own collection) lowers the mark the next one waits for.
  r.at(180, 6000, 180);
  r.at(183, 6200, 180);
  r.at(186, 6400, 180);
  r.at(189, 6600, 180);
  r.at(192, 6800, 180);
  r.at(195, 7000, 180);
  r.at(198, 7200, 180);
  r.at(201, 7400, 180);
  r.at(204, 7600, 180);
  r.at(207, 7800, 180);
  r.at(210, 8000, 180);
  r.at(213, 8200, 180);
  assert.equal(r.collections.length, 3, 'above the limit, 33 MB above the least seen since');
});

test('no collection when this thread holds less than minGain (the memory above the limit is someone else\'s)', () => {
  const r = rig(100);
  r.at(90, 0);
  r.at(118, 200);
  r.at(118, 400);
  assert.equal(r.at(118, 600), false, '28 MB of heap and buffers: a collection cannot win 32 MB');
  r.at(123, 800);
  r.at(123, 1000);
  assert.equal(r.at(123, 1200), true, '33 MB: collected');
});

test('0 turns it off: nothing collected at any size, and start() sets no timer', () => {
  const r = rig(0);
  for (let t = 0; t < 3000; t += 200) assert.equal(r.at(4000, t), false);
  r.gov.start();
  r.gov.close();
  assert.deepEqual(r.collections, []);
});

test('the collections are counted in the registry, with their time, and the limit is exported', async () => {
  const r = rig(200);
  r.at(100, 0);
  r.at(300, 200);
  r.at(300, 400);
  r.at(300, 600, 160);
  r.at(300, 2000, 160);
  r.at(300, 2200, 160);
  r.at(300, 2400, 160);
  const text = await r.registry.metrics();
  assert.deepEqual(r.collections, [600, 2400]);
  assert.match(text, /^logwharf_memory_governor_gcs_total 2$/m);
  assert.match(text, /^logwharf_memory_governor_gc_seconds_total 0\.01$/m);
  assert.match(text, new RegExp(`^logwharf_memory_soft_limit_bytes ${200 * MB}$`, 'm'));
});

test('the real collector frees garbage of this thread without --expose-gc, and leaves no gc global behind', () => {
  const gc = exposedGc();
  assert.equal(typeof gc, 'function');
  assert.equal((globalThis as { gc?: unknown }).gc, undefined, 'no gc global in the main context');
  gc();
  const before = process.memoryUsage().heapUsed;
  let junk: object[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `garbage ${i}` }));
  assert.ok(process.memoryUsage().heapUsed - before > 10 * MB, 'garbage made');
  junk = undefined;
  gc();
  const after = process.memoryUsage().heapUsed;
  assert.ok(after - before < 5 * MB, `heap back within 5 MB of where it was (${((after - before) / MB).toFixed(1)} MB more)`);
  assert.equal(junk, undefined);
});
