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
  /** Changes how the next requests are answered. */
  respondWith(r: WebhookResponse): void;
  /** Waits until at least `n` JSON messages have arrived; resolves with them. */
  waitForCount(n: number, timeoutMs?: number): Promise<WebhookMessage[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: { respond?: WebhookResponse } = {}): Promise<WebhookReceiver> {
  let respond: WebhookResponse = opts.respond ?? 200;
  const received: WebhookMessage[] = [];
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      try {
        received.push(JSON.parse(body.toString('utf8')) as WebhookMessage);
      } catch {
        // not JSON: kept in `requests` only
      }
      if (respond === 'hang') {
        hanging.add(res);
        return;
      }
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
      respond = r;
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
