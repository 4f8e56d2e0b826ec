/**
 * The live tail's WebSocket (`/loki/api/v1/tail`): frames are parsed and handed over in batches, at
 * most once per animation frame, so 2,000 lines/s cost a few renders per second rather than one
 * per message. A socket that closes unexpectedly is reopened with exponential backoff, asking for
 * the lines after the newest one received, so the gap is filled without repeats. A socket refused
 * before it opened is explained by asking the same query over HTTP, whose error has words.
 */
import { api, ApiError, socketUrl } from '../../lib/api.js';
import type { QueryResponse } from '../../lib/loki.js';
import { msToNs } from '../../lib/time.js';
import type { TailFrame } from './tail-buffer.js';

export type TailStatus =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; inMs: number; attempt: number; reason: string }
  | { kind: 'failed'; message: string; error?: ApiError };

export interface TailSocketOptions {
  query: string;
  /** Where the next connection starts: `start` (ns) and how many earlier lines to send first. */
  from(): { start: string; limit: number };
  onFrames(frames: TailFrame[]): void;
  onStatus(status: TailStatus): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** Hidden tabs get no animation frames: batches are still delivered this often, so nothing piles up. */
const HIDDEN_FLUSH_MS = 500;

export function openTailSocket(opts: TailSocketOptions): { close(): void } {
  let ws: WebSocket | undefined;
  let closed = false;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let queue: string[] = [];
  let frame: number | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    if (fallback !== undefined) clearTimeout(fallback);
    frame = fallback = undefined;
    const batch = queue;
    queue = [];
    const frames: TailFrame[] = [];
    for (const text of batch) {
      try {
        frames.push(JSON.parse(text) as TailFrame);
      } catch {
        // The server sends JSON only; a broken frame is skipped rather than ending the tail.
      }
    }
    if (!closed && frames.length > 0) opts.onFrames(frames);
  };

  const connect = () => {
    if (closed) return;
    opts.onStatus({ kind: 'connecting' });
    const { start, limit } = opts.from();
    const socket = new WebSocket(socketUrl('/loki/api/v1/tail', { query: opts.query, start, limit }));
    ws = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      attempt = 0;
      opts.onStatus({ kind: 'live' });
    };
    socket.onmessage = (ev) => {
      queue.push(String(ev.data));
      if (frame === undefined) frame = requestAnimationFrame(flush);
      if (fallback === undefined) fallback = setTimeout(flush, HIDDEN_FLUSH_MS);
    };
    socket.onclose = () => {
      if (closed || ws !== socket) return;
      flush();
      if (opened) retry('the connection closed');
      else void explainRefusal();
    };
  };

  const retry = (reason: string) => {
    const inMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt) * (0.8 + Math.random() * 0.4);
    attempt++;
    opts.onStatus({ kind: 'reconnecting', inMs, attempt, reason });
    retryTimer = setTimeout(connect, inMs);
  };

  /** The upgrade was refused or never answered: the same query over HTTP says why, in words. */
  const explainRefusal = async () => {
    try {
      const now = Date.now();
      const res = await api<QueryResponse>('/loki/api/v1/query_range', { query: opts.query, start: msToNs(now - 1000), end: msToNs(now), limit: 1 });
      if (closed) return;
      if (res.data.resultType !== 'streams') {
        opts.onStatus({ kind: 'failed', message: 'Live tail shows log lines: use a log query such as {job="app"} |= "error", not a metric query.' });
        return;
      }
      retry('the server refused the live tail connection');
    } catch (e) {
      if (closed) return;
      // A query or tenant the server refuses will be refused again; a server that is away may come back.
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) opts.onStatus({ kind: 'failed', message: e.message, error: e });
      else retry(e instanceof Error ? e.message : String(e));
    }
  };

  connect();
  return {
    close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      if (frame !== undefined) cancelAnimationFrame(frame);
      if (fallback !== undefined) clearTimeout(fallback);
      const socket = ws;
      ws = undefined;
      if (!socket) return;
      // Closing a socket still connecting makes the browser log an error; close it once it opens.
      if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close(1000, 'live tail stopped');
      else socket.close(1000, 'live tail stopped');
    },
  };
}
