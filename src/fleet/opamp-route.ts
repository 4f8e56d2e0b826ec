/**
 * `POST /v1/opamp`: OpAMP's plain-HTTP transport (opamp-spec "Plain HTTP Transport"). The body is
 * one AgentToServer (`Content-Type: application/x-protobuf`, optionally `Content-Encoding: gzip`),
 * the answer one ServerToAgent. Each message becomes an AgentReport for the fleet controller
 * (model.ts), whose answer goes back as remote configuration and flags. Agents authenticate with
 * the token they ship logs with (role `write`); the fleet is the server's, not a tenant's, so the
 * route is tenantless.
 *
 * Errors, decided from the spec:
 * - A body over the limit, before or after decompression: 413, which the spec requires ("Plain
 *   HTTP Message Size Limits"); the client must not retry it.
 * - Another media type: 415 (the spec reads such a request as a WebSocket initiation, which this
 *   server does not offer). A bad gzip stream or Content-Encoding: 400. These are plain text, from
 *   the error mapper: nothing OpAMP-shaped was received.
 * - A malformed AgentToServer: 400 whose body is a ServerToAgent with error_response
 *   { type: BadRequest, error_message: the reason }, the spec's "Bad Request" answer, so a client
 *   that reads error bodies gets the reason; clients that only look at the status treat it as a
 *   failed request. The reason is also logged.
 * Responses are gzipped when the client accepts it and they are worth it.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Counter, type Registry } from 'prom-client';
import { LogwharfError, isLogwharfError } from '../api/errors.js';
import { decodeContentEncoding, mediaType } from '../api/push/body.js';
import { OPAMP_CONTENT_TYPE, ServerErrorResponseType, decodeAgentToServer, encodeServerToAgent } from '../api/opamp/index.js';
import type { RequestContext } from '../http/context.js';
import type { Router } from '../http/router.js';
import { childLogger } from '../util/logger.js';
import type { FleetController } from './model.js';
import { SERVER_CAPABILITIES, agentReport, serverToAgent } from './opamp-report.js';

const gzipAsync = promisify(gzip);

export const OPAMP_PATH = '/v1/opamp';
/**
 * Largest AgentToServer accepted (after decompression) and ServerToAgent sent. The spec suggests
 * 64 MiB; an agent's description, health and configuration files are kilobytes, so 8 MiB leaves
 * room for large Collector configurations while one hostile agent cannot hold much memory.
 */
export const OPAMP_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Responses smaller than this are sent uncompressed: gzip would cost more than it saves. */
const GZIP_MIN_BYTES = 1024;

export interface OpampRouteDeps {
  registry: Registry;
  /** Overrides OPAMP_MAX_MESSAGE_BYTES (tests). */
  maxMessageBytes?: number;
}

type Result = 'ok' | 'bad_request' | 'too_large' | 'unsupported_media_type' | 'error';

export function registerOpampRoute(router: Router, controller: FleetController, deps: OpampRouteDeps): void {
  const limit = deps.maxMessageBytes ?? OPAMP_MAX_MESSAGE_BYTES;
  const messages = new Counter({
    name: 'logwharf_opamp_messages_total',
    help: 'OpAMP AgentToServer requests by result (ok, bad_request, too_large, unsupported_media_type, error).',
    labelNames: ['result'] as const,
    registers: [deps.registry],
  });
  const received = new Counter({ name: 'logwharf_opamp_received_bytes_total', help: 'OpAMP request bytes as received (before decompression).', registers: [deps.registry] });
  const sent = new Counter({ name: 'logwharf_opamp_sent_bytes_total', help: 'OpAMP response bytes as sent (after compression).', registers: [deps.registry] });
  const decodeErrors = new Counter({
    name: 'logwharf_opamp_decode_errors_total',
    help: 'OpAMP requests whose body could not be decoded, by stage (content_encoding, protobuf).',
    labelNames: ['stage'] as const,
    registers: [deps.registry],
  });
  for (const result of ['ok', 'bad_request', 'too_large', 'unsupported_media_type', 'error'] as const) messages.inc({ result }, 0);
  for (const stage of ['content_encoding', 'protobuf'] as const) decodeErrors.inc({ stage }, 0);

  /** Counts the request under `result` and throws `e` to the error mapper. */
  const fail = (result: Result, e: unknown): never => {
    messages.inc({ result });
    throw e;
  };

  router.add(
    'POST',
    OPAMP_PATH,
    async (ctx) => {
      const type = mediaType(ctx.req.headers['content-type']);
      if (type !== OPAMP_CONTENT_TYPE) {
        ctx.req.resume();
        fail('unsupported_media_type', new LogwharfError('unsupported_media_type', `OpAMP over HTTP needs Content-Type: ${OPAMP_CONTENT_TYPE}, got ${JSON.stringify(type || '(none)')} (the WebSocket transport is not supported)`));
      }
      const declared = Number(ctx.req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        // Not read: drained so the connection stays usable for the answer.
        ctx.req.resume();
        fail('too_large', tooLarge(`${declared} bytes`, limit));
      }
      const raw = await ctx.body().catch((e: unknown) => fail(isLogwharfError(e) && e.code === 'payload_too_large' ? 'too_large' : 'error', e));
      received.inc(raw.length);
      if (raw.length > limit) fail('too_large', tooLarge(`${raw.length} bytes`, limit));
      const body = await decodeContentEncoding(raw, ctx.req.headers['content-encoding'], limit).catch((e: unknown) => {
        if (isLogwharfError(e) && e.code === 'payload_too_large') fail('too_large', tooLarge('more than that after decompression', limit));
        decodeErrors.inc({ stage: 'content_encoding' });
        return fail('bad_request', isLogwharfError(e) ? new LogwharfError('bad_request', `OpAMP request body: ${e.message}`) : e);
      });
      let report;
      let uid: Buffer = Buffer.alloc(0);
      try {
        const m = decodeAgentToServer(body);
        uid = m.instanceUid;
        report = agentReport(m);
      } catch (e) {
        if (!isLogwharfError(e) || e.code !== 'bad_request') return fail('error', e);
        decodeErrors.inc({ stage: 'protobuf' });
        messages.inc({ result: 'bad_request' });
        childLogger(ctx.log, { component: 'opamp' }).warn({ err: (e as Error).message, instance_uid: uid.toString('hex') }, 'refused a malformed OpAMP message (400 with a BadRequest ServerErrorResponse)');
        const answer = encodeServerToAgent({
          instanceUid: uid,
          flags: 0,
          capabilities: SERVER_CAPABILITIES,
          errorResponse: { type: ServerErrorResponseType.BadRequest, errorMessage: (e as Error).message },
        });
        await send(ctx, 400, answer);
        return;
      }
      const answer = await controller.report(report).catch((e: unknown) => fail('error', e));
      const bytes = encodeServerToAgent(serverToAgent(uid, answer));
      if (bytes.length > limit) {
        // The spec: the server must not send an oversized response; the agent keeps polling.
        fail('error', new LogwharfError('internal', `the OpAMP answer to agent ${report.instanceUid} is ${bytes.length} bytes, over the limit of ${limit} bytes (its remote configuration is too large)`));
      }
      messages.inc({ result: 'ok' });
      await send(ctx, 200, bytes);
    },
    { role: 'write', tenantless: true },
  );

  async function send(ctx: RequestContext, status: number, bytes: Buffer): Promise<void> {
    const headers: Record<string, string | number> = { 'Content-Type': OPAMP_CONTENT_TYPE };
    let out = bytes;
    if (bytes.length >= GZIP_MIN_BYTES && /\bgzip\b/i.test(String(ctx.req.headers['accept-encoding'] ?? ''))) {
      out = await gzipAsync(bytes);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = out.length;
    sent.inc(out.length);
    ctx.res.writeHead(status, headers);
    ctx.res.end(out);
  }
}

function tooLarge(size: string, limit: number): LogwharfError {
  return new LogwharfError('payload_too_large', `OpAMP message too large: ${size}, limit ${limit} bytes`);
}
