/**
 * A webhook receiver for tests: a node HTTP server on port 0 that records every request (Alertmanager's
 * webhook JSON, or anything else POSTed to it) and answers 200, a chosen status, or never (to test a
 * receiver that hangs). Also serves as a stand-in peer that checks what a sender sends (headers, path).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookMessage } from '../../src/api/alertmanager.js';
import { waitFor } from './wait-for.js';

export interface ReceivedRequest {
  /** Arrival time (Date.now()), for tests that assert timing. */
  at: number;
  /** The status it was answered with; undefined while it hangs. */
  status?: number;
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** How the receiver answers: a status code (default 200), or 'hang' (never answers). */
export type WebhookResponse = number | 'hang';

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** Bodies parsed as JSON (webhook messages), in arrival order; bodies that are not JSON are left out. */
  received: WebhookMessage[];
  /** Every request as it arrived. */
  requests: ReceivedRequest[];
  /** Changes how the next requests are answered: always the same way, or as a function of each request. */
  respondWith(r: WebhookResponse | ((req: ReceivedRequest) => WebhookResponse)): void;
  /** Waits until at least `n` JSON messages have arrived; resolves with them. */
  waitForCount(n: number, timeoutMs?: number): Promise<WebhookMessage[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: { respond?: WebhookResponse } = {}): Promise<WebhookReceiver> {
  let respondTo: (req: ReceivedRequest) => WebhookResponse = () => opts.respond ?? 200;
  const received: WebhookMessage[] = [];
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: ReceivedRequest = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(request);
      try {
        received.push(JSON.parse(body.toString('utf8')) as WebhookMessage);
      } catch {
        // not JSON: kept in `requests` only
      }
      const respond = respondTo(request);
      if (respond === 'hang') {
        hanging.add(res);
        return;
      }
      request.status = respond;
      res.writeHead(respond, { 'content-type': 'text/plain' }).end(respond >= 400 ? `answering ${respond} as told\n` : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    received,
    requests,
    respondWith(r) {
      respondTo = typeof r === 'function' ? r : () => r;
    },
    waitForCount(n, timeoutMs = 15_000) {
      return waitFor(
        `${n} webhook message(s)`,
        () => {
          if (received.length < n) throw new Error(`${received.length} so far`);
          return received;
        },
        { timeoutMs },
      );
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface DeliveredMessage {
  at: number;
  path: string;
  /** Parsed JSON: tests read webhook and Slack-style messages alike. */
  body: any;
}

/** Every request with its JSON body parsed (bodies that are not JSON are null), in arrival order. */
export function attempts(r: WebhookReceiver): DeliveredMessage[] {
  return r.requests.map((q) => {
    let body: unknown = null;
    try {
      body = JSON.parse(q.body.toString('utf8'));
    } catch {
      // not JSON
    }
    return { at: q.at, path: q.path, body };
  });
}

/** The requests answered 2xx: what the receiver actually took. */
export function delivered(r: WebhookReceiver): DeliveredMessage[] {
  return attempts(r).filter((_, i) => (r.requests[i]!.status ?? 999) < 300);
}

/** Answers the next requests with `statuses` in turn, then 200. */
export function failNext(r: WebhookReceiver, ...statuses: number[]): void {
  const queue = [...statuses];
  r.respondWith(() => queue.shift() ?? 200);
}
