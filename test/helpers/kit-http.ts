/**
 * What the kit's HTTP tests share: the kit's logger writing to lines the test can read (each checked
 * against docs/log-schema.md); servers on port 0; and a raw
 * socket request for what fetch refuses to send (hostile headers, a client that goes away).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/kit/logger.js';
import { assertSchemaLine } from './log-schema.js';

export type Line = Record<string, unknown>;

export interface CapturedKitLog {
  logger: Logger;
  lines: Line[];
  /** The access lines (one per request); throws if any line so far broke the schema. */
  access(): Line[];
}

/** The kit's logger for service "svc", its lines kept for the test; each must be a schema line without repeated keys. */
export function captureKitLog(): CapturedKitLog {
  const lines: Line[] = [];
  const problems: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        try {
          lines.push(assertSchemaLine(text));
        } catch (e) {
          problems.push((e as Error).message);
        }
      }
      done();
    },
  });
  const logger = createLogger({ service: 'svc', version: '1.2.3', env: 'test', level: 'debug', destination });
  const access = (): Line[] => {
    if (problems.length > 0) throw new Error(`lines outside the log schema:\n${problems.join('\n')}`);
    return lines.filter((l) => l.msg === 'request completed' || l.msg === 'request aborted');
  };
  return { logger, lines, access };
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

/** Sends `head` (request line and headers, without the final blank line) on a raw socket; `received` is what came back so far. */
export async function rawRequest(base: string, head: string): Promise<{ socket: Socket; response: Promise<string>; received: () => string }> {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const response = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  socket.write(head + '\r\n\r\n');
  return { socket, response, received: () => Buffer.concat(chunks).toString('latin1') };
}

/** A response header from a raw HTTP/1.1 response text. */
export function rawHeader(response: string, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*)$`, 'im').exec(response.split('\r\n\r\n')[0] ?? '');
  return m?.[1];
}
