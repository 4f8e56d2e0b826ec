/**
 * What the kit's HTTP tests share: a logger whose lines carry the request context (as the kit's
 * logger does) and that the test can read, checked for repeated keys; servers on port 0; and a raw
 * socket request for what fetch refuses to send (hostile headers, a client that goes away).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { getContext } from '../../src/kit/context.js';
import { repeatedKeys } from './json-keys.js';

export type Line = Record<string, unknown>;

export interface CapturedKitLog {
  logger: Logger;
  lines: Line[];
  /** The access lines (one per request). */
  access(): Line[];
}

/** A pino logger that adds the current request context's ids to every line, like the kit's logger. */
export function captureKitLog(): CapturedKitLog {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        const repeated = repeatedKeys(text);
        if (repeated.length > 0) throw new Error(`repeated keys ${repeated.join(', ')} in ${text}`);
        lines.push(JSON.parse(text) as Line);
      }
      done();
    },
  });
  const logger = pino(
    {
      level: 'debug',
      base: {},
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = getContext();
        return ctx ? { request_id: ctx.request_id, trace_id: ctx.trace_id, span_id: ctx.span_id } : {};
      },
    },
    destination,
  );
  return { logger, lines, access: () => lines.filter((l) => l.msg === 'request completed' || l.msg === 'request aborted') };
}

/** Listens on 127.0.0.1, port 0; resolves with the base URL. */
export async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Sends `head` (request line and headers, without the final blank line) on a raw socket. */
export async function rawRequest(base: string, head: string): Promise<{ socket: Socket; response: Promise<string> }> {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const response = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  socket.write(head + '\r\n\r\n');
  return { socket, response };
}

/** A response header from a raw HTTP/1.1 response text. */
export function rawHeader(response: string, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*)$`, 'im').exec(response.split('\r\n\r\n')[0] ?? '');
  return m?.[1];
}
