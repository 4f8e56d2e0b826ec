/**
 * A real HTTP endpoint standing in for an alert receiver (a webhook, or Slack's incoming-webhook
 * endpoint, which is unreachable from here): it records every POST with its arrival time, and can
 * answer with given statuses first (a receiver that is down) or never answer (one that hangs).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pushAll } from '../../src/util/arrays.js';

export interface Received {
  at: number;
  path: string;
  body: any;
}

export interface AlertReceiver {
  url: string;
  /** Requests answered 2xx, in arrival order. */
  received: Received[];
  /** Every request, including failed and hanging ones. */
  attempts: Received[];
  /** Statuses to answer the next requests with (then 200). */
  failNext(...statuses: number[]): void;
  /** Requests for which `when` is true are never answered (until close). */
  hangWhen(when: (r: Received) => boolean): void;
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: Received[] = [];
  const attempts: Received[] = [];
  const statuses: number[] = [];
  const hanging: ServerResponse[] = [];
  let hang: ((r: Received) => boolean) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const r = { at: Date.now(), path: req.url ?? '/', body };
      attempts.push(r);
      if (hang?.(r)) {
        hanging.push(res);
        return;
      }
      const status = statuses.shift() ?? 200;
      if (status < 300) received.push(r);
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    attempts,
    failNext: (...s) => pushAll(statuses, s),
    hangWhen: (when) => (hang = when),
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
