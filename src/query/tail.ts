/**
 * Live tail over WebSocket, as Loki's `/loki/api/v1/tail`: first the `limit` most recent entries
 * since `start` (default one hour ago), then every new entry that passes the query, in frames
 * `{"streams":[...],"dropped_entries":[...]}`. `delay_for` (0-5 s) holds entries back that long so
 * slightly late pushes still arrive in order. A client that cannot keep up gets dropped_entries
 * instead of unbounded memory growth.
 */
import { msToNs } from '../api/time-units.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Labels } from '../api/model.js';
import { childLogger, type Logger } from '../util/logger.js';
import type { Store, TailEvent } from '../store/store.js';
import { parseLogExpr } from '../logql/syntax/index.js';
import { compilePipeline } from '../logql/pipeline/compile.js';
import { matchesAll } from '../logql/matchers.js';
import { evaluateLogQuery } from './engine/log-query.js';
import type { BlockScanner } from './engine/block-scanner.js';
import type { StreamPipeline } from '../logql/pipeline/types.js';
import { parseTailParams } from '../api/params.js';
import { LogwharfError } from '../api/errors.js';
import { encodeLabelSet, encodeTailFrame, type DroppedEntry, type LogStream } from '../api/envelope.js';

/** Flush interval of live frames. */
const FLUSH_MS = 100;
/** Above this many bytes queued on the socket, new entries are dropped and reported. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** At most this many dropped entries are listed per frame (the rest are only counted in logs). */
const MAX_DROPPED_LISTED = 100;
/**
 * Largest frame a client may send. Clients send nothing meaningful on a tail, so a small bound;
 * a longer frame (up to the 2^63 a header can claim) closes that connection with 1009 before any
 * byte of it is buffered.
 */
const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

export interface TailServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: { id: string; tenant: string; url: URL }): void;
  close(): void;
}

interface Pending {
  ts: bigint;
  line: string;
  labels: Labels;
  due: number;
}

export function createTailServer(deps: { store: Store; log: Logger; now: () => number; scanner: BlockScanner }): TailServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  const sessions = new Set<() => void>();

  return {
    handleUpgrade(req, socket, head, ctx) {
      if (ctx.url.pathname !== '/loki/api/v1/tail' && ctx.url.pathname !== '/api/prom/tail') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      const nowNs = msToNs(deps.now());
      let params: ReturnType<typeof parseTailParams>;
      let expr: ReturnType<typeof parseLogExpr>;
      try {
        params = parseTailParams(ctx.url.searchParams, nowNs);
        expr = parseLogExpr(params.query);
      } catch (e) {
        const status = e instanceof LogwharfError ? e.status : 400;
        const msg = (e as Error).message;
        socket.end(`HTTP/1.1 ${status} Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg) + 1}\r\nConnection: close\r\n\r\n${msg}\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const log = childLogger(deps.log, { request_id: ctx.id, tenant: ctx.tenant, component: 'tail' });
        log.info({ query: params.query }, 'tail started');
        // A protocol violation by the client (unmasked frame, reserved opcode or RSV bits, bad UTF-8,
        // fragmented control frame, invalid close code, oversized frame) is an 'error' on this socket;
        // ws then closes it with 1002/1007/1009. Without a listener the error would end the process.
        ws.on('error', (err) => log.info({ err: err.message, code: (err as { code?: string }).code }, 'tail client sent an invalid frame'));
        const stop = startSession(ws, ctx.tenant, expr, params, log);
        sessions.add(stop);
        ws.on('close', () => {
          sessions.delete(stop);
          stop();
          log.info('tail ended');
        });
      });
    },
    close() {
      for (const stop of sessions) stop();
      sessions.clear();
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };

  function startSession(
    ws: WebSocket,
    tenant: string,
    expr: ReturnType<typeof parseLogExpr>,
    params: ReturnType<typeof parseTailParams>,
    log: Logger,
  ): () => void {
    const pipeline = compilePipeline(expr.pipeline);
    const perStream = new Map<number, StreamPipeline | null>();
    const delayMs = params.delayFor * 1000;
    let pending: Pending[] = [];
    let dropped: DroppedEntry[] = [];
    let stopped = false;
    // Entries pushed while the history query runs are held until it has been sent, then the overlap
    // is removed by timestamp, so nothing is sent twice or lost in between.
    let live = false;
    const early: TailEvent[] = [];
    let lastHistoryTs = -1n;

    const onEvent = (ev: TailEvent) => {
      if (!live) {
        early.push(ev);
        return;
      }
      accept(ev, -1n);
    };
    /** `after`: entries at or before it were already sent by the history query. */
    const accept = (ev: TailEvent, after: bigint) => {
      let sp = perStream.get(ev.stream.id);
      if (sp === undefined) {
        sp = matchesAll(expr.matchers, ev.stream.labels) ? pipeline.forStream(ev.stream.labels) : null;
        perStream.set(ev.stream.id, sp);
      }
      if (sp === null) return;
      const due = deps.now() + delayMs;
      for (const e of ev.entries) {
        if (e.ts <= after) continue;
        const r = sp.process(e.ts, e.line, e.metadata);
        if (!r) continue;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          if (dropped.length < MAX_DROPPED_LISTED) dropped.push({ labels: r.labels, ts: e.ts });
          continue;
        }
        pending.push({ ts: e.ts, line: r.line, labels: r.labels, due });
      }
    };
    const unsubscribe = deps.store.subscribe(tenant, onEvent);

    const flush = () => {
      if (stopped || ws.readyState !== ws.OPEN) return;
      const now = deps.now();
      const ready = pending.filter((p) => p.due <= now);
      if (ready.length === 0 && dropped.length === 0) return;
      pending = pending.filter((p) => p.due > now);
      ready.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      send(ready);
    };
    const send = (entries: { ts: bigint; line: string; labels: Labels }[]) => {
      const groups = new Map<string, LogStream>();
      for (const e of entries) {
        const key = encodeLabelSet(e.labels);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { stream: e.labels, entries: [] }));
        g.entries.push({ ts: e.ts, line: e.line });
      }
      const frame = encodeTailFrame({ streams: [...groups.values()], droppedEntries: dropped });
      dropped = [];
      ws.send(frame);
    };
    const timer = setInterval(flush, FLUSH_MS);

    void (async () => {
      try {
        const to = msToNs(deps.now()) + 1n;
        if (params.limit > 0 && params.start < to) {
          const res = await evaluateLogQuery(deps.store, deps.scanner, { tenant, expr, from: params.start, to, direction: 'backward', limit: params.limit });
          const hist = res.entries.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
          if (hist.length > 0) {
            lastHistoryTs = hist[hist.length - 1]!.ts;
            if (!stopped && ws.readyState === ws.OPEN) send(hist);
          }
        }
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'tail history query failed');
      }
      live = true;
      for (const ev of early.splice(0)) accept(ev, lastHistoryTs);
    })();

    ws.on('message', () => {
      // Clients send nothing meaningful; Loki ignores client frames too.
    });
    return () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      unsubscribe();
    };
  }
}
