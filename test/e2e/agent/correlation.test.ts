/**
 * The correlation path end to end (issue #16, "Seeing it together"), with real containers: two
 * services using the kit (test/fixtures/correlation: `front` calls `back` with `fetchWithContext`) run
 * in local/node:20 containers on the real Docker engine; the agent collects their logs into the real
 * server; and `{container=~"front-.*|back-.*"} | json | request_id="<id>"` returns the lines of both
 * services for that one request, in order, sharing one trace.
 *
 * The services import the kit as its users do, `from 'logwharf/logger'`: the repository is mounted
 * read-only at /app, so Node resolves the name through the package's own `exports` (package
 * self-reference) to the built dist/ and the repository's node_modules. `npm run build` first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '../../../src/agent/agent.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { docker, dockerOrSkip, ensureNodeImage, runContainer, removeContainer, NODE_IMAGE } from '../../helpers/docker.js';
import { waitFor } from '../../helpers/wait-for.js';
import { queryAll, testAgentConfig, type QueriedLine } from './helpers.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const FIXTURES = '/app/test/fixtures/correlation';
/** Containers of this test carry this label with the run's id; the agent keeps only those. */
const RUN_LABEL = 'logwharf.correlation';
const silent = createLogger({ level: 'silent' });

/** Both output streams of a container so far (a service that failed to start says why on stderr). */
function containerOutput(id: string): Promise<string> {
  return new Promise((resolve) => execFile('docker', ['logs', id], { maxBuffer: 16 * 1024 * 1024 }, (_e, out, err) => resolve(`${out}${err}`)));
}

function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of text.split('\n')) {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

interface Service {
  id: string;
  name: string;
  url: string;
}

/** Undone in reverse order after the test: containers, then the agent (it ships what it has), then the server. */
type Cleanups = Array<() => Promise<void> | void>;

/** Runs one of the fixture services on the host network with PORT=0; resolves with the port it logged. */
async function startService(svc: 'front' | 'back', run: string, env: Record<string, string>, cleanups: Cleanups): Promise<Service> {
  const name = `${svc}-${run}`;
  const id = await runContainer([
    '--name', name,
    '--network', 'host',
    '--label', `${RUN_LABEL}=${run}`,
    '-v', `${REPO}:/app:ro`,
    '-e', 'PORT=0',
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    NODE_IMAGE, 'node', `${FIXTURES}/${svc}.mjs`,
  ]);
  cleanups.push(() => removeContainer(id));
  const port = await waitFor(`${svc} to log its port`, async () => {
    const output = await containerOutput(id);
    const ready = jsonLines(output).find((j) => j.msg === `${svc} listening`);
    if (ready) return ready.port as number;
    // Not ready yet; if it is gone, the timeout names why (its stderr).
    if ((await docker('inspect', '--format', '{{.State.Running}}', id)) !== 'true') throw new Error(`${svc} exited: ${output.slice(0, 2000)}`);
    return undefined;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  return { id, name, url: `http://127.0.0.1:${port}` };
}

interface Line {
  ts: string;
  raw: string;
  container: string;
  json: Record<string, unknown>;
  metadata: Record<string, string>;
}

function parse(lines: QueriedLine[]): Line[] {
  return lines.map((l) => ({ ts: l.ts, raw: l.line, container: l.labels.container!, json: JSON.parse(l.line) as Record<string, unknown>, metadata: l.metadata ?? {} }));
}

test('two services in containers: one request id finds both services\' lines, in order, in one trace', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  assert.ok(existsSync(join(REPO, 'dist/kit/index.js')), 'dist/kit/index.js is missing: run `npm run build` first');
  await ensureNodeImage();
  const run = randomUUID().slice(0, 8);
  const cleanups: Cleanups = [];
  t.after(async () => {
    for (const undo of cleanups.reverse()) await undo();
  });
  const server = await startServer();
  const data = tempDir();
  cleanups.push(() => removeDir(data), () => removeDir(server.dir), () => server.close());
  // Only this run's containers: other tests (and other runs of this one) start containers too.
  const agent = createAgent(
    testAgentConfig(server.url, data, {
      pipeline: {
        relabel: [{ action: 'keep', source_labels: [`__meta_docker_container_label_${RUN_LABEL.replace('.', '_')}`], regex: run }],
        // Entries at the time the services wrote (the kit's `time`), not when dockerd read the line: on
        // a loaded host dockerd may read one container's pipe tens of milliseconds after another's.
        timestamp: [{ selector: `{container=~"front-${run}|back-${run}"}`, source: 'time', format: 'RFC3339' }],
      },
    }),
    { log: silent },
  );
  cleanups.push(() => agent.close());
  await agent.start();

  const back = await startService('back', run, {}, cleanups);
  const front = await startService('front', run, { BACK_URL: back.url }, cleanups);

  /** The lines of one request as a user finds them, by request_id over both services, once `expected` ([container, msg]) are all there. */
  const linesOf = (requestId: string, expected: Array<[Service, string]>): Promise<Line[]> =>
    waitFor(`the lines of request ${requestId}`, async () => {
      const lines = parse(await queryAll(server.url, `{container=~"front-.*|back-.*"} | json | request_id="${requestId}"`));
      const missing = expected.filter(([svc, msg]) => !lines.some((l) => l.container === svc.name && l.json.msg === msg));
      if (missing.length === 0) return lines;
      // Named in the timeout message if they never come.
      throw new Error(`missing ${missing.map(([svc, msg]) => `${svc.name} "${msg}"`).join(', ')}; found ${lines.map((l) => `${l.container} "${String(l.json.msg)}"`).join(', ') || 'nothing'}`);
    }, { timeoutMs: 30_000, intervalMs: 200 });
  const ok = (): Array<[Service, string]> => [
    [front, 'request received'],
    [back, 'back did the work'],
    [back, 'request completed'],
    [front, 'downstream answered'],
    [front, 'request completed'],
  ];
  /** A line of `svc` with `msg`. */
  const find = (lines: Line[], svc: Service, msg: string): Line => {
    const l = lines.find((x) => x.container === svc.name && x.json.msg === msg);
    assert.ok(l, `${svc.name} logged "${msg}"`);
    return l;
  };

  await t.test('a request with X-Request-ID: both containers, in time order, one trace', async () => {
    const rid = `req-${run}-known`;
    const res = await fetch(`${front.url}/order`, { headers: { 'X-Request-ID': rid } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { answer: 42 }, 'front passed back\'s answer on');
    assert.equal(res.headers.get('x-request-id'), rid, 'the id is echoed on the response');

    const lines = await linesOf(rid, ok());
    assert.ok(lines.every((l) => l.json.request_id === rid), 'the filter returns only this request\'s lines');
    assert.deepEqual(new Set(lines.map((l) => l.container)), new Set([front.name, back.name]), 'lines of both containers');
    for (const l of lines) assert.equal(l.json.service, l.container === front.name ? 'front' : 'back');

    // In order: the timestamp rule stores each entry at the service's own `time` (one host clock), so
    // the query's order across containers is the causal order; within a container the query keeps
    // the order the service wrote in. The kit writes milliseconds: two lines of different containers
    // in the same millisecond have equal timestamps, and then neither order is wrong.
    const order = lines.map((l) => `${l.ts} ${l.container} time=${String(l.json.time)} ${String(l.json.msg)}`).join('\n');
    for (const l of lines) assert.equal(l.ts, String(BigInt(Date.parse(String(l.json.time))) * 1_000_000n), `stored at the line's own time:\n${order}`);
    const time = (svc: Service, msg: string) => {
      const l = find(lines, svc, msg);
      return { ts: BigInt(l.ts), at: lines.indexOf(l) };
    };
    // What must have happened before what. Back writes its access line when its response has gone
    // out, which may be after front already logged the answer, so that line is ordered only within back.
    const before: Array<[[Service, string], [Service, string]]> = [
      [[front, 'request received'], [back, 'back did the work']],
      [[back, 'back did the work'], [front, 'downstream answered']],
      [[front, 'downstream answered'], [front, 'request completed']],
      [[back, 'back did the work'], [back, 'request completed']],
    ];
    for (const [a, b] of before) {
      const [ta, tb] = [time(...a), time(...b)];
      assert.ok(ta.ts < tb.ts ? ta.at < tb.at : ta.ts === tb.ts, `${a[0].name} "${a[1]}" before ${b[0].name} "${b[1]}" in the query's order:\n${order}`);
    }
    for (const svc of [front, back]) {
      const returned = lines.filter((l) => l.container === svc.name).map((l) => l.json.msg);
      const written = ok().filter(([s]) => s === svc).map(([, msg]) => msg);
      assert.deepEqual(returned, written, `${svc.name}'s lines come back in the order it wrote them:\n${order}`);
    }
    assert.equal(lines.filter((l) => l.json.msg === 'request received').length, 1, 'exactly this one request');

    const traceIds = new Set(lines.map((l) => l.json.trace_id));
    assert.equal(traceIds.size, 1, `one trace over both services, got ${[...traceIds].join(', ')}`);
    assert.match(String([...traceIds][0]), /^[0-9a-f]{32}$/);
    const frontSpans = new Set(lines.filter((l) => l.container === front.name).map((l) => l.json.span_id));
    const backSpans = new Set(lines.filter((l) => l.container === back.name).map((l) => l.json.span_id));
    assert.equal(frontSpans.size, 1, 'front logs one span for the request');
    assert.equal(backSpans.size, 1, 'back logs one span for the request');
    assert.notDeepEqual(frontSpans, backSpans, 'each service has its own span');
    // The access lines name the caller's span: back's parent is front's span; front had no caller's traceparent.
    assert.equal(find(lines, back, 'request completed').json.parent_span_id, [...frontSpans][0], 'back\'s parent span is front\'s span');
    assert.equal(find(lines, front, 'request completed').json.parent_span_id, undefined, 'front started the trace');
    assert.equal(find(lines, front, 'request completed').json.status, 200);
    for (const l of lines) assert.equal(l.metadata.detected_level, 'info', `${String(l.json.msg)} is info`);

    // docs/log-schema.md's cheaper form (a line filter first) finds the same lines.
    const filtered = await queryAll(server.url, `{container=~".+"} |= "${rid}" | json | request_id="${rid}"`);
    assert.deepEqual(filtered.map((l) => l.line), lines.map((l) => l.raw));
  });

  await t.test('a request without an id gets a generated one that correlates across both services', async () => {
    const res = await fetch(`${front.url}/order`);
    assert.equal(res.status, 200);
    const rid = res.headers.get('x-request-id');
    assert.ok(rid, 'front answers with the id it generated');
    assert.doesNotMatch(rid, /^req-/, 'not one of the ids this test sent');
    const lines = await linesOf(rid, ok());
    assert.deepEqual(new Set(lines.map((l) => l.container)), new Set([front.name, back.name]), 'back got front\'s generated id');
    assert.equal(new Set(lines.map((l) => l.json.trace_id)).size, 1, 'one trace');
    assert.equal(lines.filter((l) => l.json.msg === 'request received').length, 1, 'exactly this one request');
  });

  await t.test('back failing: front answers 502 and its error line is detected as error', async () => {
    const rid = `req-${run}-fail`;
    const res = await fetch(`${front.url}/fail`, { headers: { 'X-Request-ID': rid } });
    assert.equal(res.status, 502);
    await res.text();
    const lines = await linesOf(rid, [
      [front, 'request received'],
      [back, 'back cannot do the work'],
      [back, 'request completed'],
      [front, 'downstream failed'],
      [front, 'request completed'],
    ]);
    const level = (svc: Service, msg: string) => find(lines, svc, msg).metadata.detected_level;
    assert.equal(level(front, 'downstream failed'), 'error');
    assert.equal(level(back, 'back cannot do the work'), 'error');
    assert.equal(level(front, 'request received'), 'info');
    // The access lines of a 5xx answer are errors too, with the status each service answered.
    assert.equal(level(back, 'request completed'), 'error');
    assert.equal(find(lines, back, 'request completed').json.status, 500);
    assert.equal(level(front, 'request completed'), 'error');
    assert.equal(find(lines, front, 'request completed').json.status, 502);
    assert.equal(new Set(lines.map((l) => l.json.trace_id)).size, 1, 'one trace');
  });
});
