/**
 * A small real HTTP + WebSocket server speaking Loki's read, push and tail API with canned data.
 * It stands in for logwharf in the client and CLI tests until the real server exists; the
 * end-to-end tests against the real server (and real Loki) come later in test/e2e.
 * It records every request so tests can check what went over the wire.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { encodeLabelsResponse, encodeQueryResponse, encodeSeriesResponse, encodeTailFrame, type LogStream, type TailFrame } from '../../../src/api/envelope.js';
import type { Labels } from '../../../src/api/model.js';
import { decodeLokiPush } from '../../../src/api/push/loki-push.js';

export interface Recorded {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface PushedStream {
  stream: Labels;
  values: Array<[string, string, Labels?]>;
}

export interface FakeLoki {
  url: string;
  requests: Recorded[];
  pushes: PushedStream[][];
  /** The wire format of each push, in order. */
  pushFormats: string[];
  /** Frames sent to every tail connection right after it opens. */
  tailFrames: TailFrame[];
  close(): Promise<void>;
}

const S = 1_000_000_000n;
export const T0 = 1_700_000_000n * S;

/** Two streams whose entries interleave in time. */
export const STREAMS: LogStream[] = [
  { stream: { job: 'api', env: 'prod' }, entries: [{ ts: T0 + 3n, line: 'api third' }, { ts: T0 + 1n, line: 'api first' }] },
  { stream: { job: 'web' }, entries: [{ ts: T0 + 2n, line: 'web second "quoted"' }] },
];

/**
 * 25 entries in two streams for paging tests; timestamps T0+0..T0+19 with T0+10 shared by six
 * entries (three in each stream), so a page boundary can fall inside a run of equal timestamps.
 */
export const MANY: Array<{ ts: bigint; labels: Labels; line: string }> = (() => {
  const out: Array<{ ts: bigint; labels: Labels; line: string }> = [];
  for (let i = 0; i < 20; i++) {
    const n = i === 10 ? 3 : i % 2 === 0 ? 1 : 0;
    for (let k = 0; k < n; k++) out.push({ ts: T0 + BigInt(i), labels: { job: 'many', s: 'a' }, line: `a${i}.${k}` });
    if (i % 2 === 1 || i === 10) for (let k = 0; k < (i === 10 ? 3 : 1); k++) out.push({ ts: T0 + BigInt(i), labels: { job: 'many', s: 'b' }, line: `b${i}.${k}` });
  }
  return out;
})();

/** The MANY entries a Loki would return for these parameters: [start, end) (or [start, end]), limit, direction. */
function window(search: URLSearchParams, endExclusive: boolean): LogStream[] {
  const start = BigInt(search.get('start')!);
  const end = BigInt(search.get('end')!);
  const limit = Number(search.get('limit') ?? '100');
  const forward = search.get('direction') === 'forward';
  const picked = MANY.filter((e) => e.ts >= start && (endExclusive ? e.ts < end : e.ts <= end));
  // Stable order within a timestamp (stream a before b, then by line), reversed for backward.
  if (!forward) picked.reverse();
  const chosen = picked.slice(0, limit);
  const streams = new Map<string, LogStream>();
  for (const e of chosen) {
    const k = e.labels.s!;
    if (!streams.has(k)) streams.set(k, { stream: e.labels, entries: [] });
    streams.get(k)!.entries.push({ ts: e.ts, line: e.line });
  }
  return [...streams.values()];
}

/** Answers for tenant "malformed", by query: shapes a broken proxy or another product might send. */
const MALFORMED: Record<string, string> = {
  numts: '{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[[1,"x"]]}]}}',
  nodata: '{"status":"success"}',
  error: '{"status":"error","error":"nope"}',
  weird: '{"status":"success","data":{"resultType":"histogram","result":[]}}',
  badvec: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","2"]}]}}',
  labels: '{"status":"success","data":[1,2]}',
};

/** An address where nothing listens: a port we bound and released. */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export async function startFakeLoki(): Promise<FakeLoki> {
  const requests: Recorded[] = [];
  const pushes: PushedStream[][] = [];
  const pushFormats: string[] = [];
  const tailFrames: TailFrame[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url!, 'http://x');
      const raw = Buffer.concat(chunks);
      const body = raw.toString();
      // Loki reads form-urlencoded POST bodies as parameters too.
      const search = req.method === 'POST' && req.headers['content-type'] === 'application/x-www-form-urlencoded' ? new URLSearchParams(body) : url.searchParams;
      requests.push({ method: req.method!, path: url.pathname, search, headers: req.headers, body });
      const json = (text: string) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(text);
      };
      const text = (status: number, msg: string) => {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(msg + '\n');
      };
      if (req.headers['x-scope-orgid'] === 'forbidden') return text(401, 'no org id');
      if (req.headers['x-scope-orgid'] === 'not-json') return text(200, 'hello');
      const query = search.get('query') ?? '';
      if (req.headers['x-scope-orgid'] === 'malformed') return json(MALFORMED[query || (search.get('match[]') ?? '')] ?? '{}');
      switch (true) {
        case url.pathname === '/loki/api/v1/push': {
          const decoded = await decodeLokiPush({ contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], body: raw });
          const streams: PushedStream[] = decoded.streams.map((s) => ({
            stream: s.labels,
            values: s.entries.map((e): [string, string, Labels?] => (e.metadata ? [e.ts.toString(), e.line, e.metadata] : [e.ts.toString(), e.line])),
          }));
          if (streams.some((s) => s.values.some((v) => v[1].includes('REJECT')))) return text(400, 'entry rejected: line contains REJECT');
          pushes.push(streams);
          pushFormats.push(decoded.format);
          res.writeHead(204);
          return res.end();
        }
        case url.pathname === '/loki/api/v1/query_range' || url.pathname === '/loki/api/v1/query': {
          if (query.includes('syntax')) return text(400, 'parse error at line 1, col 8: syntax error: unexpected IDENTIFIER');
          if (query.includes('boom')) return text(500, 'internal error (request id 42)');
          if (query.startsWith('{job="many')) return json(encodeQueryResponse({ resultType: 'streams', result: window(search, !query.includes('incl')) }));
          if (query.startsWith('rate(')) {
            return json(encodeQueryResponse({ resultType: 'matrix', result: [{ metric: { job: 'api' }, values: [[1700000000000, 0.5], [1700000015000, NaN]] }] }));
          }
          if (query.startsWith('sum(')) return json(encodeQueryResponse({ resultType: 'vector', result: [{ metric: {}, tsMs: 1700000000123, value: 42 }] }));
          if (query === 'vector(1)') return json(encodeQueryResponse({ resultType: 'scalar', result: { tsMs: 1700000000000, value: 1 } }));
          return json(encodeQueryResponse({ resultType: 'streams', result: STREAMS }, { warnings: query.includes('warn') ? ['query was slow'] : [] }));
        }
        case url.pathname === '/loki/api/v1/labels':
          return json(encodeLabelsResponse(['job', 'env']));
        case url.pathname.startsWith('/loki/api/v1/label/'): {
          const name = decodeURIComponent(url.pathname.split('/')[5]!);
          return json(encodeLabelsResponse(name === 'job' ? ['api', 'web'] : []));
        }
        case url.pathname === '/loki/api/v1/series':
          return json(encodeSeriesResponse([{ job: 'web' }, { job: 'api', env: 'prod' }]));
        case url.pathname === '/loki/api/v1/index/stats':
          return json('{"streams":2,"chunks":3,"bytes":100,"entries":3}');
        case url.pathname === '/loki/api/v1/status/buildinfo':
          return json('{"version":"3.4.0","revision":"","branch":"","buildUser":"","buildDate":"","goVersion":""}');
        default:
          return text(404, '404 page not found');
      }
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url!, 'http://x');
    requests.push({ method: 'GET', path: url.pathname, search: url.searchParams, headers: req.headers, body: '' });
    if (url.pathname !== '/loki/api/v1/tail') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\n404 page not found\n');
      return;
    }
    if ((url.searchParams.get('query') ?? '').includes('syntax')) {
      const msg = 'parse error at line 1, col 8: syntax error\n';
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      for (const f of tailFrames) ws.send(encodeTailFrame(f));
      if ((url.searchParams.get('query') ?? '').includes('fail')) ws.close(1011, 'tail failed: store unavailable');
      if ((url.searchParams.get('query') ?? '').includes('end')) ws.close(1000);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pushes,
    pushFormats,
    tailFrames,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
