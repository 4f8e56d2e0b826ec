/**
 * The shared suite every Store implementation runs (architecture guide, rule 4). It goes through
 * the public interface plus the two maintenance calls (`flush`, `compact`) and restarts on the
 * same directory to check persistence.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Entry, Labels, StreamPush } from '../../../src/api/model.js';
import type { Matcher } from '../../../src/logql/syntax/ast.js';
import type { BlockRef, Store } from '../../../src/store/store.js';
import { waitFor } from '../../helpers/wait-for.js';

export interface CaseStore extends Store {
  flush(): Promise<void>;
  compact(opts?: { unlinkGraceMs?: number }): Promise<unknown>;
}

export interface CaseOptions {
  dir: string;
  blockTargetBytes?: number;
  now?: () => number;
  retention?: { periodMs?: number; streams?: Array<{ matchers: Matcher[]; periodMs: number; priority?: number }> };
}

export type StoreFactory = (opts: CaseOptions) => CaseStore;

const ALL = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z in ns
const S = 1_000_000_000n;

export function m(name: string, op: Matcher['op'], value: string): Matcher {
  return { name, op, value };
}

function push(labels: Labels, entries: Array<[bigint, string]>): StreamPush {
  return { labels, entries: entries.map(([ts, line]) => ({ ts, line })) };
}

/** Every entry of the given streams in [from, to), per stream key, in time order. */
export async function readAll(store: Store, tenant: string, matchers: Matcher[] = [], from: bigint = ALL[0], to: bigint = ALL[1]): Promise<Map<string, Entry[]>> {
  const out = new Map<string, Entry[]>();
  const streams = store.streams(tenant, matchers, from, to);
  const byId = new Map(streams.map((s) => [s.id, s.key]));
  for (const ref of store.blocks(tenant, [...byId.keys()], from, to)) {
    const key = byId.get(ref.streamId)!;
    const list = out.get(key) ?? [];
    for (const e of await store.readBlock(ref)) if (e.ts >= from && e.ts < to) list.push(e);
    out.set(key, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return out;
}

function lines(map: Map<string, Entry[]>, key: string): string[] {
  return (map.get(key) ?? []).map((e) => e.line);
}

export function storeSuite(name: string, factory: StoreFactory): void {
  describe(`Store suite: ${name}`, () => {
    let root: string;
    let n = 0;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'logwharf-store-'));
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });
    const freshDir = () => join(root, `case-${++n}`);

    async function open(opts: Partial<CaseOptions> & { dir?: string } = {}): Promise<CaseStore> {
      const s = factory({ dir: opts.dir ?? freshDir(), ...opts });
      await s.start();
      return s;
    }

    it('reads back what was appended, from the head and after sealing, in time order', async () => {
      const dir = freshDir();
      const store = await open({ dir });
      const r = await store.append('t', [
        push({ job: 'a' }, [[T0 + 2n, 'two'], [T0 + 1n, 'one'], [T0 + 3n, 'three']]),
        push({ job: 'b', env: 'prod' }, [[T0, 'b0']]),
      ]);
      assert.deepEqual(r, { accepted: 4, duplicates: 0 });
      let all = await readAll(store, 't');
      assert.deepEqual(lines(all, '{job="a"}'), ['one', 'two', 'three']);
      assert.deepEqual(lines(all, '{env="prod", job="b"}'), ['b0']);
      await store.flush();
      assert.ok(store.blocks('t', store.streams('t', [], ...ALL).map((s) => s.id), ...ALL).every((b) => b.location.kind === 'file'));
      all = await readAll(store, 't');
      assert.deepEqual(lines(all, '{job="a"}'), ['one', 'two', 'three']);
      await store.close();
    });

    it('keeps nanosecond timestamps exactly, including beyond 2^53 and ties in append order', async () => {
      const store = await open();
      const ts = [1_714_521_600_123_456_789n, 1_714_521_600_123_456_790n, 9_007_199_254_740_993n, 1n, 1_714_521_600_123_456_789n];
      await store.append('t', [push({ job: 'ns' }, ts.map((t, i) => [t, `l${i}`]))]);
      const check = async () => {
        const got = (await readAll(store, 't')).get('{job="ns"}')!;
        assert.deepEqual(
          got.map((e) => [e.ts, e.line]),
          [[1n, 'l3'], [9_007_199_254_740_993n, 'l2'], [1_714_521_600_123_456_789n, 'l0'], [1_714_521_600_123_456_789n, 'l4'], [1_714_521_600_123_456_790n, 'l1']],
        );
      };
      await check();
      await store.flush();
      await check();
      await store.close();
    });

    it('selects streams with =, !=, =~ and !~ within a time range', async () => {
      const store = await open();
      await store.append('t', [
        push({ app: 'api', env: 'prod' }, [[T0, 'a']]),
        push({ app: 'api', env: 'dev' }, [[T0 + 10n * S, 'b']]),
        push({ app: 'web', env: 'prod' }, [[T0 + 20n * S, 'c']]),
        push({ app: 'worker' }, [[T0 + 30n * S, 'd']]),
      ]);
      const keys = (ms: Matcher[], from: bigint = ALL[0], to: bigint = ALL[1]) => store.streams('t', ms, from, to).map((s) => s.key).sort();
      assert.deepEqual(keys([m('app', '=', 'api')]), ['{app="api", env="dev"}', '{app="api", env="prod"}']);
      assert.deepEqual(keys([m('env', '!=', 'prod')]), ['{app="api", env="dev"}', '{app="worker"}']);
      assert.deepEqual(keys([m('app', '=~', 'w.*')]), ['{app="web", env="prod"}', '{app="worker"}']);
      assert.deepEqual(keys([m('app', '=~', 'w')]), [], 'regexes are fully anchored');
      assert.deepEqual(keys([m('app', '!~', 'api|web')]), ['{app="worker"}']);
      assert.deepEqual(keys([m('env', '=', '')]), ['{app="worker"}'], 'a missing label equals ""');
      assert.deepEqual(keys([m('app', '=', 'api'), m('env', '=~', 'p.*')]), ['{app="api", env="prod"}']);
      assert.deepEqual(keys([m('app', '=~', '.+')], T0 + 10n * S, T0 + 21n * S), ['{app="api", env="dev"}', '{app="web", env="prod"}']);
      assert.deepEqual(keys([], T0, T0 + 10n * S), ['{app="api", env="prod"}'], 'to is exclusive');
      assert.deepEqual(keys([m('app', '=', 'nope')]), []);
      assert.deepEqual(store.streams('other', [], ...ALL), []);
      await store.close();
    });

    it('answers label names and values, restricted by time and matchers', async () => {
      const store = await open();
      await store.append('t', [
        push({ app: 'api', env: 'prod', pod: 'p1' }, [[T0, 'a']]),
        push({ app: 'web', env: 'dev' }, [[T0 + 100n * S, 'b']]),
      ]);
      assert.deepEqual(store.labelNames('t', ...ALL), ['app', 'env', 'pod']);
      assert.deepEqual(store.labelNames('t', T0 + 50n * S, ALL[1]), ['app', 'env']);
      assert.deepEqual(store.labelValues('t', 'env', ...ALL), ['dev', 'prod']);
      assert.deepEqual(store.labelValues('t', 'env', ...ALL, [m('app', '=', 'api')]), ['prod']);
      assert.deepEqual(store.labelValues('t', 'missing', ...ALL), []);
      await store.close();
    });

    it('returns only blocks overlapping the time range', async () => {
      const store = await open({ blockTargetBytes: 64 });
      for (let i = 0n; i < 10n; i++) {
        await store.append('t', [push({ job: 'x' }, [[T0 + i * 100n * S, 'x'.repeat(100) + i]])]);
      }
      await store.flush();
      const id = store.streams('t', [], ...ALL)[0]!.id;
      const refs = store.blocks('t', [id], T0 + 250n * S, T0 + 500n * S);
      assert.ok(refs.length >= 2 && refs.length < 10, `got ${refs.length} blocks`);
      for (const r of refs) assert.ok(r.minTs < T0 + 500n * S && r.maxTs >= T0 + 250n * S);
      const got = await readAll(store, 't', [], T0 + 250n * S, T0 + 500n * S);
      assert.deepEqual(lines(got, '{job="x"}'), [3, 4].map((i) => 'x'.repeat(100) + i));
      await store.close();
    });

    it('skips blocks by bloom for a needle, and never drops a block that contains the string', async () => {
      const store = await open({ blockTargetBytes: 2048 });
      const needle = 'f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e';
      const rnd = seeded(42);
      const all: string[] = [];
      let ts = T0;
      for (let b = 0; b < 40; b++) {
        const entries: Array<[bigint, string]> = [];
        for (let i = 0; i < 20; i++) {
          let line = randomLine(rnd);
          if (b === 17 && i === 5) line += ` trace_id=${needle}`;
          all.push(line);
          entries.push([(ts += 1000n), line]);
        }
        await store.append('t', [push({ job: 'p' }, entries)]);
      }
      await store.flush();
      const id = store.streams('t', [], ...ALL)[0]!.id;
      const total = store.blocks('t', [id], ...ALL).length;
      const hit = store.blocks('t', [id], ...ALL, { required: [[needle]] });
      assert.ok(total >= 20, `expected many blocks, got ${total}`);
      assert.ok(hit.length >= 1 && hit.length <= 2, `needle query returned ${hit.length} of ${total} blocks`);
      const found = (await Promise.all(hit.map((r) => store.readBlock(r)))).flat().filter((e) => e.line.includes(needle));
      assert.equal(found.length, 1);
      // Property: for random substrings of real lines, every block containing one survives.
      const refs = store.blocks('t', [id], ...ALL);
      const contents = await Promise.all(refs.map((r) => store.readBlock(r)));
      for (let k = 0; k < 400; k++) {
        const line = all[Math.floor(rnd() * all.length)]!;
        const a = Math.floor(rnd() * line.length);
        const sub = line.slice(a, a + 1 + Math.floor(rnd() * 40));
        const kept = new Set(store.blocks('t', [id], ...ALL, { required: [[sub]] }).map((r) => (r.location.kind === 'file' ? r.location.offset : -1)));
        refs.forEach((r, i) => {
          if (contents[i]!.some((e) => e.line.includes(sub))) {
            assert.ok(kept.has(r.location.kind === 'file' ? r.location.offset : -1), `false negative for ${JSON.stringify(sub)}`);
          }
        });
      }
      // Alternatives (an `or` chain): a block survives when any alternative may be present.
      assert.ok(store.blocks('t', [id], ...ALL, { required: [['zzz-absent-token-qq', needle]] }).length >= 1);
      assert.equal(store.blocks('t', [id], ...ALL, { required: [['x-zzzabsentqq-y']] }).length, 0);
      // The head is searched for required strings too.
      await store.append('t', [push({ job: 'p' }, [[(ts += 1000n), 'fresh head line with needle-in-head inside']])]);
      assert.equal(store.blocks('t', [id], ...ALL, { required: [['with needle-in-head inside']] }).length, 1);
      assert.equal(store.blocks('t', [id], ...ALL, { required: [['with needle-in-head inside'], ['absent-from-head']] }).length, 0);
      await store.close();
    });

    it('drops exact duplicates against the head, sealed blocks and after a restart', async () => {
      const dir = freshDir();
      let store = await open({ dir });
      const p = push({ job: 'd' }, [[T0, 'a'], [T0 + 1n, 'b']]);
      assert.deepEqual(await store.append('t', [p]), { accepted: 2, duplicates: 0 });
      assert.deepEqual(await store.append('t', [p]), { accepted: 0, duplicates: 2 });
      // Same timestamp, different line: not a duplicate.
      assert.deepEqual(await store.append('t', [push({ job: 'd' }, [[T0, 'a2']])]), { accepted: 1, duplicates: 0 });
      await store.flush();
      assert.deepEqual(await store.append('t', [p]), { accepted: 0, duplicates: 2 });
      await store.close();
      store = await open({ dir });
      assert.deepEqual(await store.append('t', [p, push({ job: 'd' }, [[T0 + 2n, 'c']])]), { accepted: 1, duplicates: 2 });
      assert.deepEqual(lines(await readAll(store, 't'), '{job="d"}'), ['a', 'a2', 'b', 'c']);
      // Within one push, the second copy is a duplicate too.
      assert.deepEqual(await store.append('t', [push({ job: 'd' }, [[T0 + 5n, 'z'], [T0 + 5n, 'z']])]), { accepted: 1, duplicates: 1 });
      await store.close();
    });

    it('persists streams, blocks, heads and metadata across close and reopen', async () => {
      const dir = freshDir();
      let store = await open({ dir, blockTargetBytes: 256 });
      const entries: Entry[] = [];
      for (let i = 0; i < 50; i++) entries.push({ ts: T0 + BigInt(i) * S, line: `line ${i} ` + 'p'.repeat(i), ...(i % 7 === 0 ? { metadata: { trace_id: `t${i}`, 'odd key': 'v"\n' } } : {}) });
      await store.append('t', [{ labels: { job: 'persist', env: 'x' }, entries }]);
      const before = await readAll(store, 't');
      const ids = store.streams('t', [], ...ALL).map((s) => [s.key, s.id]);
      await store.close();
      store = await open({ dir, blockTargetBytes: 256 });
      assert.deepEqual(await readAll(store, 't'), before);
      assert.deepEqual(store.streams('t', [], ...ALL).map((s) => [s.key, s.id]), ids, 'stream ids are stable');
      const got = before.get('{env="x", job="persist"}')!;
      assert.equal(got.length, 50);
      assert.deepEqual(got[7]!.metadata, { trace_id: 't7', 'odd key': 'v"\n' });
      assert.equal(got[8]!.metadata, undefined);
      await store.close();
    });

    it('replays the WAL exactly once after a crash, whether or not heads were sealed', async () => {
      const dir = freshDir();
      const a = await open({ dir });
      await a.append('t', [push({ job: 'c' }, [[T0, 'sealed-1'], [T0 + 1n, 'sealed-2']])]);
      await a.flush();
      await a.append('t', [push({ job: 'c' }, [[T0 + 2n, 'head-1']])]);
      // "Crash": abandon `a` without close(); its WAL still holds the sealed record.
      const b = await open({ dir });
      assert.deepEqual(lines(await readAll(b, 't'), '{job="c"}'), ['sealed-1', 'sealed-2', 'head-1']);
      await b.flush();
      await b.append('t', [push({ job: 'c' }, [[T0 + 3n, 'head-2']])]);
      const c = await open({ dir });
      assert.deepEqual(lines(await readAll(c, 't'), '{job="c"}'), ['sealed-1', 'sealed-2', 'head-1', 'head-2']);
      await c.close();
    });

    it('deletes expired blocks by the global period and per-stream rules', async () => {
      const dir = freshDir();
      const day = 86_400_000;
      let now = Number(T0 / 1_000_000n);
      const retention = {
        periodMs: 7 * day,
        streams: [
          { matchers: [m('service', '=', 'postgres')], periodMs: 90 * day, priority: 1 },
          { matchers: [m('level', '=', 'error')], periodMs: 30 * day },
          { matchers: [m('service', '=', 'caddy')], periodMs: 2 * day },
        ],
      };
      const store = await open({ dir, now: () => now, retention });
      for (const svc of ['postgres', 'caddy', 'api']) {
        await store.append('t', [push({ service: svc }, [[T0, `${svc} old`]])]);
        await store.append('t', [push({ service: svc, level: 'error' }, [[T0, `${svc} old error`]])]);
      }
      await store.flush();
      now += 10 * day;
      for (const svc of ['postgres', 'caddy', 'api']) await store.append('t', [push({ service: svc }, [[T0 + 10n * 86_400n * S, `${svc} new`]])]);
      await store.flush();
      await store.compact({ unlinkGraceMs: 0 });
      const all = await readAll(store, 't');
      const got = [...all.values()].flat().map((e) => e.line).sort();
      // postgres: 90d (priority 1 beats level=error's 30d); level=error: 30d; caddy 2d and api 7d expire.
      assert.deepEqual(got, ['api new', 'api old error', 'caddy new', 'caddy old error', 'postgres new', 'postgres old', 'postgres old error']);
      await store.close();
      const again = await open({ dir, now: () => now, retention });
      assert.deepEqual([...(await readAll(again, 't')).values()].flat().map((e) => e.line).sort(), got);
      await again.close();
    });

    it('merges small adjacent blocks of a stream without losing or duplicating entries', async () => {
      const dir = freshDir();
      // Data from 2024 is past the default 7-day retention of a real clock: pin the clock.
      const now = () => Number(T0 / 1_000_000n);
      const store = await open({ dir, blockTargetBytes: 4096, now });
      const expected: string[] = [];
      for (let i = 0; i < 12; i++) {
        const line = `small block ${i} ` + 'q'.repeat(50);
        expected.push(line);
        await store.append('t', [push({ job: 'm' }, [[T0 + BigInt(i) * S, line]])]);
        await store.flush();
      }
      const id = store.streams('t', [], ...ALL)[0]!.id;
      assert.equal(store.blocks('t', [id], ...ALL).length, 12);
      await store.compact({ unlinkGraceMs: 0 });
      assert.ok(store.blocks('t', [id], ...ALL).length < 3, 'small blocks were merged');
      assert.deepEqual(lines(await readAll(store, 't'), '{job="m"}'), expected);
      await store.close();
      const again = await open({ dir, blockTargetBytes: 4096, now });
      assert.deepEqual(lines(await readAll(again, 't'), '{job="m"}'), expected);
      assert.deepEqual(await again.append('t', [push({ job: 'm' }, [[T0 + 11n * S, expected[11]!]])]), { accepted: 0, duplicates: 1 });
      await again.close();
    });

    it('keeps tenants apart, including hostile tenant names', async () => {
      const dir = freshDir();
      let store = await open({ dir });
      const tenants = ['a', 'b', '../escape', '.', '..', 'x/y', 'nul\0byte', 'ünïcode', ''];
      for (const t of tenants) await store.append(t, [push({ job: 'same' }, [[T0, `secret of ${t}`]])]);
      await store.close();
      store = await open({ dir });
      for (const t of tenants) {
        assert.deepEqual(lines(await readAll(store, t), '{job="same"}'), [`secret of ${t}`], `tenant ${JSON.stringify(t)}`);
        assert.equal(store.stats(t, [], ...ALL).entries, 1);
      }
      assert.deepEqual(store.streams('c', [], ...ALL), []);
      await store.close();
    });

    it('stores hostile input: huge, empty, unicode and NUL lines; odd label values', async () => {
      const dir = freshDir();
      let store = await open({ dir, blockTargetBytes: 1024 });
      const huge = 'h'.repeat(5 * 1024 * 1024) + '€';
      const odd: Labels = { job: 'quote"back\\slash', nl: 'line\nbreak', uni: '日本語 🚀', empty: '' };
      const special = ['', huge, 'nul\0inside\0', '🚀 emoji ünïcödé 日本語', '\r\n\t', ' ', 'multi\nline\n', '\n'];
      await store.append('t', [push(odd, special.map((l, i) => [T0 + BigInt(i), l]))]);
      const check = async () => {
        const [s] = store.streams('t', [m('nl', '=', 'line\nbreak')], ...ALL);
        assert.ok(s);
        assert.deepEqual(s.labels, { empty: '', job: 'quote"back\\slash', nl: 'line\nbreak', uni: '日本語 🚀' });
        assert.deepEqual(lines(await readAll(store, 't'), s.key), special);
      };
      await check();
      await store.flush();
      await check();
      await store.close();
      store = await open({ dir, blockTargetBytes: 1024 });
      await check();
      await store.close();
    });

    it('treats __proto__ and constructor as ordinary label names', async () => {
      const dir = freshDir();
      let store = await open({ dir });
      const labels = JSON.parse('{"__proto__":"p","job":"j"}') as Labels;
      await store.append('t', [push(labels, [[T0, 'proto']]), push({ job: 'plain' }, [[T0, 'plain']])]);
      const check = () => {
        assert.deepEqual(store.streams('t', [m('__proto__', '=', 'p')], ...ALL).map((s) => s.key), ['{__proto__="p", job="j"}']);
        assert.deepEqual(store.streams('t', [m('constructor', '=', '')], ...ALL).length, 2, 'a missing constructor label is ""');
        assert.deepEqual(store.labelNames('t', ...ALL), ['__proto__', 'job']);
        assert.deepEqual(store.labelValues('t', 'constructor', ...ALL), []);
      };
      check();
      await store.close();
      store = await open({ dir });
      check();
      await store.close();
    });

    it('feeds subscribers and reports stats', async () => {
      const store = await open();
      const seen: string[] = [];
      const off = store.subscribe('t', (ev) => seen.push(`${ev.stream.key} ${ev.entries.map((e) => e.line).join(',')}`));
      const other: string[] = [];
      store.subscribe('u', (ev) => other.push(ev.stream.key));
      await store.append('t', [push({ job: 's' }, [[T0, 'a'], [T0 + 1n, 'b']])]);
      await store.append('t', [push({ job: 's' }, [[T0, 'a']])]);
      off();
      await store.append('t', [push({ job: 's' }, [[T0 + 2n, 'c']])]);
      assert.deepEqual(seen, ['{job="s"} a,b']);
      assert.deepEqual(other, []);
      await store.flush();
      await store.append('t', [push({ job: 's2' }, [[T0 + 5n, 'xyz']])]);
      const st = store.stats('t', [], ...ALL);
      assert.equal(st.streams, 2);
      assert.equal(st.entries, 4);
      assert.equal(st.bytes, 6);
      assert.ok(st.chunks >= 2);
      assert.equal(store.stats('t', [m('job', '=', 's2')], ...ALL).entries, 1);
      assert.equal(store.stats('t', [], T0 + 3n, ALL[1]).entries, 1);
      await store.close();
    });

    it('rejects use before start and after close', async () => {
      const store = factory({ dir: freshDir() });
      await assert.rejects(store.append('t', [push({ job: 'x' }, [[T0, 'x']])]), { code: 'store_unavailable' });
      await store.start();
      await store.close();
      await assert.rejects(store.append('t', [push({ job: 'x' }, [[T0, 'x']])]), { code: 'store_unavailable' });
    });

    it('serves reads while concurrent appends share commits', async () => {
      const store = await open({ blockTargetBytes: 4096 });
      const pushes = Array.from({ length: 200 }, (_, i) => store.append('t', [push({ job: `c${i % 5}` }, [[T0 + BigInt(i), `concurrent ${i} ` + 'z'.repeat(100)]])]));
      const results = await Promise.all(pushes);
      assert.equal(results.reduce((n, r) => n + r.accepted, 0), 200);
      const all = await readAll(store, 't');
      assert.equal([...all.values()].flat().length, 200);
      // Heads over the target are sealed in the background.
      const ids = store.streams('t', [], ...ALL).map((s) => s.id);
      await waitFor('size cuts to seal some blocks', () => store.blocks('t', ids, ...ALL).some((r: BlockRef) => r.location.kind === 'file'));
      assert.equal([...(await readAll(store, 't')).values()].flat().length, 200);
      await store.close();
    });
  });
}

/** Deterministic PRNG for property tests. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['GET', 'POST', '/api/v1/users', 'status=200', 'level=info', 'msg="request done"', 'ü-ber', 'x', '{"a":1}', 'trace', 'café', '日本', 'a-b_c.d', '', '  '];

function randomLine(rnd: () => number): string {
  const parts: string[] = [];
  const n = 3 + Math.floor(rnd() * 10);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.5) parts.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
    else parts.push(Math.floor(rnd() * 1e9).toString(36) + (rnd() < 0.3 ? '-' + Math.floor(rnd() * 1e6).toString(16) : ''));
  }
  return parts.join(rnd() < 0.5 ? ' ' : rnd() < 0.5 ? ',' : '');
}
