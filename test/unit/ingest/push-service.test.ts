/**
 * The push service over a recording in-memory store (./recording-store.ts; the real store has its
 * own suite): validation, limits and Loki's partial-success semantics, through the real decoders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createPushService } from '../../../src/ingest/push-service.js';
import { DEFAULT_DISCOVER_SERVICE_NAME, type LimitsConfig } from '../../../src/ingest/limits.js';
import { encodeLokiPushJson, encodeLokiPushProtobuf, encodeOtlpLogsJson, encodeOtlpLogsProto, emptyLogRecord, snappyCompress } from '../../../src/api/push/index.js';
import { ProtoWriter } from '../../../src/api/push/protobuf.js';
import { LogwharfError } from '../../../src/api/errors.js';
import type { Entry, Labels, StreamPush } from '../../../src/api/model.js';
import { RecordingStore } from './recording-store.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const MIN = 60_000;
const HOUR = 60 * MIN;

function setup(limits?: LimitsConfig, overrides?: Record<string, LimitsConfig>) {
  const store = new RecordingStore();
  const clock = { ms: T0 };
  const registry = new Registry();
  const svc = createPushService({ store, limits, overrides, registry, now: () => clock.ms });
  const push = (streams: StreamPush[], tenant = 'fake', format: 'json' | 'proto' = 'json') =>
    svc.push(tenant, format === 'json' ? encodeLokiPushJson({ streams }) : encodeLokiPushProtobuf({ streams }));
  return { store, clock, registry, svc, push };
}

function s(labels: Labels, ...entries: (Entry | [number, string])[]): StreamPush {
  return { labels, entries: entries.map((e) => (Array.isArray(e) ? { ts: ns(e[0]), line: e[1] } : e)) };
}

function fails(status: number, ...res: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof LogwharfError, String(e));
    assert.equal(e.status, status, e.message);
    for (const re of res) assert.match(e.message, re);
    return true;
  };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v ? Number(v.value) : 0;
}

test('a valid push is stored with its labels sorted, service_name and detected_level added as in Loki 3', async () => {
  const { store, push } = setup();
  const out = await push([s({ job: 'api', env: 'prod' }, [T0 - 1000, 'a'], [T0 - 999, 'b']), s({ host: 'h' }, [T0, 'd'])]);
  assert.deepEqual(out, { streams: 2, accepted: 3, duplicates: 0 });
  assert.deepEqual(store.dump('fake'), { '{env="prod", job="api", service_name="api"}': ['a', 'b'], '{host="h", service_name="unknown_service"}': ['d'] });
  assert.deepEqual(Object.keys(store.appends[0]!.streams[0]!.labels), ['env', 'job', 'service_name']);
  assert.deepEqual(store.entries('fake', { env: 'prod', job: 'api', service_name: 'api' }), [
    { ts: ns(T0 - 1000), line: 'a', metadata: { detected_level: 'unknown' } },
    { ts: ns(T0 - 999), line: 'b', metadata: { detected_level: 'unknown' } },
  ]);
});

test("Loki 3's service_name discovery by default: first listed label, else unknown_service", async () => {
  const { store, push } = setup();
  await push([s({ job: 'api', env: 'prod' }, [T0, 'a']), s({ service_name: 'given', job: 'x' }, [T0, 'c']), s({ host: 'h' }, [T0, 'd']), s({ container: 'web', app: 'shop' }, [T0, 'e'])]);
  assert.deepEqual(store.dump('fake'), {
    '{env="prod", job="api", service_name="api"}': ['a'],
    '{job="x", service_name="given"}': ['c'],
    '{host="h", service_name="unknown_service"}': ['d'],
    '{app="shop", container="web", service_name="shop"}': ['e'],
  });
  // It does not count against max_label_names_per_series (Loki validates first) ...
  const many: Labels = {};
  for (let i = 0; i < 15; i++) many[`l${i}`] = 'v';
  await push([s(many, [T0, 'x'])]);
  assert.equal(Object.keys(store.appends.at(-1)!.streams[0]!.labels).length, 16);
  // ... and does not rescue a stream without labels.
  await assert.rejects(push([s({}, [T0, 'x'])]), fails(400, /at least one label pair is required per stream/));
});

test('service_name discovery follows the configured list; an empty list turns it off for Loki pushes only', async () => {
  const custom = setup({ discover_service_name: ['team', 'job'] });
  await custom.push([s({ job: 'api', team: 'core' }, [T0, 'a']), s({ app: 'shop' }, [T0, 'b']), s({ job: 'x', team: '' }, [T0, 'c'])]);
  assert.deepEqual(Object.keys(custom.store.dump('fake')).sort(), ['{app="shop", service_name="unknown_service"}', '{job="api", service_name="core", team="core"}', '{job="x", service_name="x"}']);
  assert.deepEqual(DEFAULT_DISCOVER_SERVICE_NAME.slice(0, 5), ['service', 'app', 'application', 'app_name', 'name']);

  const off = setup({ discover_service_name: [] });
  await off.push([s({ job: 'api', env: 'prod' }, [T0, 'a'])]);
  assert.deepEqual(off.store.dump('fake'), { '{env="prod", job="api"}': ['a'] });
  // OTLP keeps discovering it (Loki's default list) so a resource without service.name still makes a stream.
  const rec = { ...emptyLogRecord(), timeUnixNano: ns(T0), body: 'otlp' };
  await off.svc.pushOtlp('fake', {
    contentType: 'application/json',
    body: Buffer.from(encodeOtlpLogsJson({ resourceLogs: [{ attributes: [{ key: 'k8s.container.name', value: 'web' }], droppedAttributesCount: 0, scopeLogs: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [rec] }] }] })),
  });
  assert.deepEqual(off.store.entries('fake', { k8s_container_name: 'web', service_name: 'web' }), [{ ts: ns(T0), line: 'otlp', metadata: { detected_level: 'unknown' } }]);
});

test('bad entries are rejected with a 400 naming each reason; the good ones are stored', async () => {
  const { store, push, registry } = setup();
  const long = 'x'.repeat(256 * 1024 + 1);
  await assert.rejects(
    push([s({ job: 'api' }, [T0, 'ok 1'], [T0, long], [T0 - 8 * 24 * HOUR, 'ancient'], [T0 + 11 * MIN, 'future'], [T0 + 1, 'ok 2'])]),
    fails(400, /Max entry size '262144' bytes exceeded for stream '\{job="api", service_name="api"\}' while adding an entry with length '262145' bytes/, /has timestamp too old: 2026-11-15T10:00:00\.000000000Z, oldest acceptable timestamp is: 2026-11-16T10:00:00\.000000000Z/, /has timestamp too new: 2026-11-23T10:11:00\.000000000Z/, /3 entries rejected, 2 accepted/),
  );
  assert.deepEqual(store.dump('fake'), { '{job="api", service_name="api"}': ['ok 1', 'ok 2'] });
  assert.equal(await metric(registry, 'logwharf_discarded_entries_total', { tenant: 'fake', reason: 'line_too_long' }), 1);
  assert.equal(await metric(registry, 'logwharf_discarded_entries_total', { tenant: 'fake', reason: 'greater_than_max_sample_age' }), 1);
  assert.equal(await metric(registry, 'logwharf_discarded_entries_total', { tenant: 'fake', reason: 'too_far_in_future' }), 1);
  assert.equal(await metric(registry, 'logwharf_discarded_bytes_total', { tenant: 'fake', reason: 'line_too_long' }), long.length);
  assert.equal(await metric(registry, 'logwharf_distributor_lines_received_total', { tenant: 'fake' }), 5);
});

test('a single kind of rejection gets its own error code', async () => {
  const { push } = setup();
  await assert.rejects(push([s({ job: 'a' }, [T0 + HOUR, 'x'])]), (e: unknown) => e instanceof LogwharfError && e.code === 'too_new');
  await assert.rejects(push([s({ job: 'a' }, [T0 - 30 * 24 * HOUR, 'x'])]), (e: unknown) => e instanceof LogwharfError && e.code === 'too_old');
  await assert.rejects(push([s({ job: 'a' }, [T0, 'x'.repeat(300_000)])]), (e: unknown) => e instanceof LogwharfError && e.code === 'line_too_long');
});

test('long lines are truncated instead when max_line_size_truncate is set, without splitting a character', async () => {
  const { store, push } = setup({ max_line_size: 10, max_line_size_truncate: true });
  await push([s({ job: 'a' }, [T0, '0123456789abc'], [T0 + 1, '012345678é'])]);
  assert.deepEqual(store.dump('fake')['{job="a", service_name="a"}'], ['0123456789', '012345678']);
});

test('old-sample rejection can be disabled; the grace period is configurable', async () => {
  const { store, push } = setup({ reject_old_samples: false, creation_grace_period: '2h' });
  await push([s({ job: 'a' }, [T0 - 365 * 24 * HOUR, 'old'], [T0 + HOUR, 'soon'])]);
  assert.deepEqual(store.dump('fake')['{job="a", service_name="a"}'], ['old', 'soon']);
});

test('stream label limits: count, name and value length, invalid names, missing labels', async () => {
  const { store, push } = setup();
  const many: Labels = {};
  for (let i = 0; i < 16; i++) many[`l${i}`] = 'v';
  await assert.rejects(push([s(many, [T0, 'x'])]), fails(400, /has 16 label names; limit 15/));
  await assert.rejects(push([s({ ['n'.repeat(1025)]: 'v' }, [T0, 'x'])]), fails(400, /has label name too long/));
  await assert.rejects(push([s({ job: 'v'.repeat(2049) }, [T0, 'x'])]), fails(400, /has label value too long/));
  await assert.rejects(push([s({ 'bad-name': 'v' }, [T0, 'x'])]), fails(400, /Error parsing labels .* invalid label name "bad-name"/));
  await assert.rejects(push([s({}, [T0, 'x'])]), fails(400, /at least one label pair is required per stream/));
  await assert.rejects(push([s({ a: '' }, [T0, 'x'])]), fails(400, /at least one label pair/));
  assert.equal(store.appends.length, 0);
});

test('protobuf streams with unparsable or duplicate label names are rejected, the rest stored', async () => {
  const { store, svc } = setup();
  const w = new ProtoWriter();
  for (const labels of ['{job="ok"}', '{job="unterminated}', '{a="1", a="2"}']) {
    w.tag(1, 2);
    const m = w.begin();
    w.tag(1, 2);
    w.string(labels);
    w.tag(2, 2);
    const e = w.begin();
    w.tag(1, 2);
    const t = w.begin();
    w.tag(1, 0);
    w.int64(T0 / 1000);
    w.end(t);
    w.tag(2, 2);
    w.string('line');
    w.end(e);
    w.end(m);
  }
  await assert.rejects(
    svc.push('fake', { contentType: 'application/x-protobuf', body: snappyCompress(w.finish()) }),
    fails(400, /stream 1: Error parsing labels '\{job="unterminated}' with error: parse error at position \d+: unterminated quoted string/, /stream 2: duplicate label name: "a"/),
  );
  assert.deepEqual(store.dump('fake'), { '{job="ok", service_name="ok"}': ['line'] });
});

test('structured metadata limits: entry count and size', async () => {
  const { store, push } = setup({ max_structured_metadata_entries_count: 2, max_structured_metadata_size: 20 });
  await assert.rejects(
    push([s({ job: 'a' }, { ts: ns(T0), line: 'many', metadata: { a: '1', b: '2', c: '3' } }, { ts: ns(T0), line: 'big', metadata: { k: 'v'.repeat(30) } }, { ts: ns(T0), line: 'fine', metadata: { k: 'v' } })]),
    fails(400, /too many structured metadata labels: '3', limit: '2'/, /structured metadata too large: '31' bytes, limit: '20' bytes/),
  );
  // detected_level is added after the limits, which apply to what the client sent.
  assert.deepEqual(store.entries('fake', { job: 'a', service_name: 'a' }), [{ ts: ns(T0), line: 'fine', metadata: { k: 'v', detected_level: 'unknown' } }]);
});

test('tenant ingestion rate: over the burst is 429 and nothing is stored; tokens refill over time', async () => {
  const { store, clock, push } = setup({ ingestion_rate_mb: 1 / 1024, ingestion_burst_size_mb: 2 / 1024 }); // 1 KiB/s, burst 2 KiB
  // 990 bytes plus the 32-byte entry overhead: two of them fit the 2 KiB burst.
  const line = 'x'.repeat(990);
  await push([s({ job: 'a' }, [T0, line])]);
  await push([s({ job: 'a' }, [T0 + 1, line])]);
  await assert.rejects(push([s({ job: 'a' }, [T0 + 2, line], [T0 + 3, 'y'])]), (e: unknown) => {
    assert.ok(e instanceof LogwharfError && e.status === 429 && e.code === 'rate_limited');
    assert.match(e.message, /Ingestion rate limit exceeded for user fake \(limit: 1024 bytes\/sec\) while attempting to ingest '2' lines totaling '991' bytes/);
    return true;
  });
  assert.equal(store.dump('fake')['{job="a", service_name="a"}']!.length, 2);
  clock.ms += 1000;
  await push([s({ job: 'a' }, [T0 + 2, line])]);
  // Tenants have separate buckets.
  await push([s({ job: 'a' }, [T0, line], [T0 + 1, line])], 'other');
});

test('rate limits charge each entry its overhead: many tiny entries cost what they weigh, not their line bytes', async () => {
  const { store, push } = setup({ ingestion_rate_mb: 1 / 1024, ingestion_burst_size_mb: 2 / 1024 }); // burst 2 KiB
  // 100 one-byte lines are 100 line bytes but 3,300 bytes with the overhead: over the burst.
  const tiny = Array.from({ length: 100 }, (_, i) => [T0 + i, 'x'] as [number, string]);
  await assert.rejects(push([s({ job: 'tiny' }, ...tiny)]), fails(429, /attempting to ingest '100' lines totaling '100' bytes/));
  assert.equal(store.dump('fake')['{job="tiny", service_name="tiny"}'], undefined);
  await push([s({ job: 'tiny' }, ...tiny.slice(0, 60))]); // 60 × 33 = 1,980 bytes fit
});

test('a large push is stored in slices of bounded entries and bytes, every entry once and in order', async () => {
  const big = 1e6;
  const { store, push } = setup({ ingestion_rate_mb: big, ingestion_burst_size_mb: big, per_stream_rate_limit_mb: big, per_stream_rate_limit_burst_mb: big });
  const many = Array.from({ length: 20_000 }, (_, i) => [T0 + i, `m${i}`] as [number, string]);
  const long = Array.from({ length: 6 }, (_, i) => [T0 + i, String(i).repeat(250_000)] as [number, string]);
  await push([s({ job: 'few' }, [T0, 'one']), s({ job: 'many' }, ...many), s({ job: 'long' }, ...long)]);
  const dump = store.dump('fake');
  assert.deepEqual(dump['{job="few", service_name="few"}'], ['one']);
  assert.deepEqual(dump['{job="many", service_name="many"}'], many.map((e) => e[1]));
  assert.deepEqual(dump['{job="long", service_name="long"}'], long.map((e) => e[1]));
  // 20,007 entries: three slices by count, then 1.5 MB of long lines cut at about 1 MiB.
  assert.ok(store.appends.length >= 4, `${store.appends.length} appends`);
  for (const a of store.appends) {
    const entries = a.streams.reduce((n, x) => n + x.entries.length, 0);
    const bytes = a.streams.reduce((n, x) => n + x.entries.reduce((m, e) => m + e.line.length, 0), 0);
    assert.ok(entries <= 8192, `${entries} entries in one append`);
    assert.ok(bytes < 1024 * 1024 + 250_000, `${bytes} bytes in one append`);
  }
});

test('per-stream rate limit: the stream over its rate gets 429 for its excess, other streams are stored', async () => {
  const { store, push } = setup({ per_stream_rate_limit_mb: 1 / 1024, per_stream_rate_limit_burst_mb: 1 / 1024 });
  const line = 'x'.repeat(600);
  await assert.rejects(push([s({ job: 'hot' }, [T0, line], [T0 + 1, line]), s({ job: 'cold' }, [T0, line])]), fails(429, /Per stream rate limit exceeded \(limit: 1024 bytes\/sec\) while attempting to ingest for stream '\{job="hot", service_name="hot"\}'/));
  assert.deepEqual(store.dump('fake'), { '{job="hot", service_name="hot"}': [line], '{job="cold", service_name="cold"}': [line] });
});

test('active stream limit: a new stream beyond the limit is refused with 429 until others go idle', async () => {
  const { store, clock, push } = setup({ max_global_streams_per_user: 2, stream_idle_period: '30m' });
  await push([s({ job: 'a' }, [T0, '1']), s({ job: 'b' }, [T0, '2'])]);
  await push([s({ job: 'a' }, [T0 + 1, '3'])]); // existing streams are fine
  await assert.rejects(push([s({ job: 'c' }, [T0, '4'])]), (e: unknown) => e instanceof LogwharfError && e.code === 'stream_limit' && e.status === 429 && /Maximum active stream limit exceeded when trying to create stream \{job="c", service_name="c"\}.*user: 'fake'/.test(e.message));
  await push([s({ job: 'c' }, [T0, '4'])], 'other-tenant');
  clock.ms += 31 * MIN;
  await push([s({ job: 'c' }, [T0 + 31 * MIN, '5'])]);
  assert.deepEqual(store.dump('fake')['{job="c", service_name="c"}'], ['5']);
});

test('out-of-order window: within an hour behind the newest entry is accepted, further behind is 400', async () => {
  const { store, clock, push } = setup();
  clock.ms = T0 + 3 * HOUR;
  await push([s({ job: 'a' }, [T0 + 3 * HOUR, 'newest'], [T0 + 2.5 * HOUR, 'slightly late'])]);
  await assert.rejects(
    push([s({ job: 'a' }, [T0 + 1 * HOUR, 'too late'], [T0 + 2 * HOUR + 1, 'just in time'])]),
    (e: unknown) => e instanceof LogwharfError && e.code === 'out_of_order' && e.status === 400 && /entry too far behind, entry timestamp is: 2026-11-23T11:00:00\.000000000Z, oldest acceptable timestamp is: 2026-11-23T12:00:00\.000000000Z/.test(e.message),
  );
  assert.deepEqual(store.dump('fake')['{job="a", service_name="a"}'], ['newest', 'slightly late', 'just in time']);
  // Other streams have their own window.
  await push([s({ job: 'b' }, [T0 + HOUR, 'b is fine'])]);
});

test('the out-of-order window survives a restart: a new service reads the newest entry from the store', async () => {
  const first = setup();
  first.clock.ms = T0 + 3 * HOUR;
  await first.push([s({ job: 'a' }, [T0 + 3 * HOUR, 'before restart'])]);
  const svc2 = createPushService({ store: first.store, now: () => T0 + 3 * HOUR });
  await assert.rejects(svc2.push('fake', encodeLokiPushJson({ streams: [s({ job: 'a' }, [T0, 'way behind'])] })), fails(400, /too far behind/));
});

test('exact duplicates are dropped silently and reported in the outcome', async () => {
  const { push } = setup();
  const req = [s({ job: 'a' }, [T0, 'same'], [T0 + 1, 'other'])];
  assert.deepEqual(await push(req), { streams: 1, accepted: 2, duplicates: 0 });
  assert.deepEqual(await push(req, 'fake', 'proto'), { streams: 1, accepted: 0, duplicates: 2 });
});

test('a mixed outcome with retryable and permanent rejections answers 429 so the client retries', async () => {
  const { push } = setup({ per_stream_rate_limit_mb: 1 / 1024, per_stream_rate_limit_burst_mb: 1 / 1024 });
  const line = 'x'.repeat(600);
  await assert.rejects(push([s({ job: 'a' }, [T0, line], [T0 + 1, line], [T0 + HOUR, 'future'])]), fails(429, /Per stream rate limit exceeded/, /has timestamp too new/, /2 entries rejected, 1 accepted/));
});

test('per-tenant overrides apply on top of the defaults', async () => {
  const { store, push } = setup({ max_line_size: 10 }, { big: { max_line_size: 100 } });
  await assert.rejects(push([s({ job: 'a' }, [T0, 'x'.repeat(50)])]), fails(400, /Max entry size '10'/));
  await push([s({ job: 'a' }, [T0, 'x'.repeat(50)])], 'big');
  assert.equal(store.dump('big')['{job="a", service_name="a"}']!.length, 1);
});

test('setOverrides (a runtime-config reload) applies from the next push; a lowered burst caps the fill, a raised one does not refill at once', async () => {
  const { clock, svc, push } = setup({ ingestion_rate_mb: 1 / 1024, ingestion_burst_size_mb: 4 / 1024 });
  const line = (n: number) => 'x'.repeat(n);
  // 4 KiB burst; each 1000-byte entry costs 1000 + 32.
  await push([s({ job: 'a' }, [T0, line(1000)])], 'noisy');
  svc.setOverrides({ noisy: { ingestion_rate_mb: 1 / 1024, ingestion_burst_size_mb: 1 / 1024 } });
  await assert.rejects(push([s({ job: 'a' }, [T0 + 1, line(1000)], [T0 + 2, line(100)])], 'noisy'), fails(429, /Ingestion rate limit exceeded for user noisy \(limit: 1024 bytes\/sec\)/));
  await push([s({ job: 'a' }, [T0 + 3, line(1000)], [T0 + 4, line(100)])], 'quiet');
  // Raised: the bucket keeps what it holds (about 1 KiB, capped), and refills at the new rate.
  svc.setOverrides({ noisy: { ingestion_rate_mb: 1, ingestion_burst_size_mb: 1 } });
  await assert.rejects(push([s({ job: 'a' }, [T0 + 5, line(2000)])], 'noisy'), fails(429, /limit: 1048576 bytes\/sec/));
  clock.ms += 10;
  await push([s({ job: 'a' }, [T0 + 5, line(2000)])], 'noisy');
  // Removed from the file: back to the defaults.
  svc.setOverrides({});
  clock.ms += 60_000;
  await assert.rejects(push([s({ job: 'a' }, [T0 + 6, line(5000)])], 'noisy'), fails(429, /limit: 1024 bytes\/sec/));
});

test('a store failure propagates and does not move the out-of-order window', async () => {
  const { store, clock, push } = setup();
  clock.ms = T0 + 3 * HOUR;
  store.failWith = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  await assert.rejects(push([s({ job: 'a' }, [T0 + 3 * HOUR, 'lost'])]), /no space/);
  store.failWith = undefined;
  await push([s({ job: 'a' }, [T0 + HOUR, 'accepted: the failed entry never counted'])]);
});

test('the rejection list is bounded and counts the rest', async () => {
  const { push } = setup({ max_line_size: 1 });
  const entries: [number, string][] = [];
  for (let i = 0; i < 50; i++) entries.push([T0 + i, 'x'.repeat(2 + i)]);
  await assert.rejects(push([s({ job: 'a' }, ...entries)]), (e: unknown) => {
    assert.ok(e instanceof LogwharfError);
    assert.equal(e.message.split('\n').filter((l) => l.startsWith('Max entry size')).length, 10);
    assert.match(e.message, /\.\.\. and 40 more rejected entries\n50 entries rejected, 0 accepted$/);
    return true;
  });
});

test('malformed bodies never reach the store', async () => {
  const { store, svc } = setup();
  await assert.rejects(svc.push('fake', { contentType: 'application/json', body: Buffer.from('{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}') }), fails(400, /timestamp must be a string/));
  await assert.rejects(svc.push('fake', { body: Buffer.from('garbage') }), fails(400));
  assert.equal(store.appends.length, 0);
});

test('OTLP: records land in streams keyed by resource labels, response matches the request encoding', async () => {
  const { store, svc } = setup();
  const req = {
    resourceLogs: [
      {
        attributes: [
          { key: 'service.name', value: 'checkout' },
          { key: 'host.name', value: 'n1' },
        ],
        droppedAttributesCount: 0,
        scopeLogs: [{ scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [{ ...emptyLogRecord(), timeUnixNano: ns(T0), severityText: 'WARN', body: 'hello otlp' }] }],
      },
      { attributes: [], droppedAttributesCount: 0, scopeLogs: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [{ ...emptyLogRecord(), body: 'arrival time' }] }] },
    ],
  };
  const json = await svc.pushOtlp('fake', { contentType: 'application/json', body: Buffer.from(encodeOtlpLogsJson(req)) });
  assert.deepEqual(json, { contentType: 'application/json', body: Buffer.from('{}') });
  assert.deepEqual(store.entries('fake', { service_name: 'checkout' }), [{ ts: ns(T0), line: 'hello otlp', metadata: { severity_text: 'WARN', host_name: 'n1', scope_name: 's', detected_level: 'warn' } }]);
  assert.deepEqual(store.entries('fake', { service_name: 'unknown_service' }), [{ ts: ns(T0), line: 'arrival time', metadata: { detected_level: 'unknown' } }]);
  const proto = await svc.pushOtlp('t2', { contentType: 'application/x-protobuf', body: encodeOtlpLogsProto(req) });
  assert.equal(proto.contentType, 'application/x-protobuf');
  assert.equal(proto.body.length, 0);
  await assert.rejects(svc.pushOtlp('fake', { contentType: 'application/x-protobuf', body: Buffer.from([0x0a, 0xff]) }), fails(400, /malformed protobuf/));
});
