/**
 * A small HTTP proxy in front of a real server, for tests of clients' retry and resume: every
 * request is passed to the server unless `decide` answers it itself (429 with Retry-After, 503, …)
 * or holds it unanswered (a server that stopped responding; held requests are released by close).
 * It is a stand-in only for the faults: a real server rate-limits per tenant by bytes pushed, which
 * cannot be made to answer 429 on exactly the requests a test needs.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultDecision = 'pass' | 'hold' | { status: number; headers?: Record<string, string>; body?: string };

export interface SeenRequest {
  /** 1-based, in arrival order. */
  n: number;
  method: string;
  url: URL;
  decision: FaultDecision;
}

export interface FaultProxy {
  url: string;
  seen: SeenRequest[];
  /** Replaces the decision function (e.g. from "hold after N" to "pass everything"). */
  setDecide(decide: (req: { n: number; method: string; url: URL }) => FaultDecision): void;
  held(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, decide: (req: { n: number; method: string; url: URL }) => FaultDecision = () => 'pass'): Promise<FaultProxy> {
  const seen: SeenRequest[] = [];
  const holding = new Set<ServerResponse>();
  const to = new URL(target);
  let current = decide;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const n = seen.length + 1;
    const decision = current({ n, method: req.method ?? 'GET', url });
    seen.push({ n, method: req.method ?? 'GET', url, decision });
    if (decision === 'hold') {
      holding.add(res);
      res.on('close', () => holding.delete(res));
      req.resume();
      return;
    }
    if (decision !== 'pass') {
      req.resume();
      res.writeHead(decision.status, { 'content-type': 'text/plain', ...decision.headers });
      res.end(decision.body ?? `injected ${decision.status}\n`);
      return;
    }
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    setDecide(d) {
      current = d;
    },
    held: () => holding.size,
    async close() {
      for (const r of holding) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
