/**
 * A small Docker Engine API client over the unix socket (issue #4 §1): list, inspect, events and the
 * logs endpoint — only what discovery and the logs reader need, with node:http and no dependency.
 *
 * The API version is negotiated once: 1.41 (Docker 20.10) when the engine supports it, else the
 * engine's minimum (Docker 29 refuses anything below 1.44). Every field we read exists in all of them.
 */
import { plural } from '../../util/plural.js';
import { nsToSecondsString } from '../../api/time-units.js';
import { request, type IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { StreamName } from '../model.js';

/** The API version we prefer; every engine from Docker 20.10 on speaks it. */
const PREFERRED_API_VERSION = '1.41';
/** Requests other than streams must answer within this. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Answers larger than this are not the Docker API (list/inspect bodies are kilobytes). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The part of GET /containers/json we use. */
export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Created?: number;
  Labels?: Record<string, string> | null;
}

/** The part of GET /containers/{id}/json we use. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  LogPath: string;
  /** Pid: the container's init process on the host (0 when not running). */
  State: { Running: boolean; Status?: string; StartedAt?: string; FinishedAt?: string; Pid?: number };
  Config: { Image?: string; Labels?: Record<string, string> | null; Tty?: boolean };
  HostConfig: { LogConfig?: { Type?: string; Config?: Record<string, string> } };
}

/** The part of GET /containers/{id}/stats we use (cgroup v1 and v2 engines fill different memory keys). */
export interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; usage_in_usermode?: number; usage_in_kernelmode?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
}

/** One container event from GET /events. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** A piece of log output: one frame of a multiplexed stream, or any chunk of a TTY container's raw stream. */
export interface LogChunk {
  stream: StreamName;
  data: Buffer;
}

/** The logs endpoint's answer as an object-mode stream of chunks; pausing it pauses the socket. */
export interface LogStream extends AsyncIterable<LogChunk> {
  readonly tty: boolean;
  readonly readable: Transform;
  destroy(): void;
}

export interface LogsOptions {
  /** Only output at or after this second (floor of the wanted timestamp); 0 or absent = from the start. */
  sinceSeconds?: number;
  follow?: boolean;
  timestamps?: boolean;
  /** The container's Config.Tty; inspected when absent. */
  tty?: boolean;
}

/** An answer from the engine that is an error (HTTP status ≥ 400). */
export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export interface DockerApi {
  readonly socketPath: string;
  /** The running containers. */
  listContainers(opts?: { all?: boolean }): Promise<ContainerSummary[]>;
  /** Details of one container; rejects with a DockerApiError of status 404 when it does not exist. */
  inspect(id: string): Promise<ContainerInspect>;
  /**
   * Streams events until the signal aborts or the connection breaks (the returned promise then
   * rejects; it resolves only when aborted). `since` (Unix ns) replays the engine's recent events first.
   */
  events(filters: Record<string, string[]>, onEvent: (e: DockerEvent) => void, signal: AbortSignal, since?: bigint): Promise<void>;
  /** One reading of GET /containers/{id}/stats (one-shot: no second sample for CPU percentages). */
  stats(id: string): Promise<EngineStats>;
  /** Opens the logs endpoint of a container; stdout and stderr demultiplexed. */
  logs(id: string, opts?: LogsOptions): Promise<LogStream>;
}

/** The logs stream broke its framing (header or length): what follows cannot be trusted. */
export class DockerStreamFormatError extends Error {
  override name = 'DockerStreamFormatError';
}

/** Creates a client for the Docker Engine API on a unix socket. */
export function createDockerApi(socketPath: string): DockerApi {
  let prefix: Promise<string> | undefined;

  const versionPrefix = (): Promise<string> => {
    prefix ??= getJson<{ ApiVersion?: string; MinAPIVersion?: string }>(socketPath, '/version').then(
      (v) => `/v${chooseApiVersion(v.ApiVersion, v.MinAPIVersion)}`,
      (e: unknown) => {
        prefix = undefined; // ask again next time: the daemon may be starting
        throw e;
      },
    );
    return prefix;
  };

  const api: DockerApi = {
    socketPath,
    async listContainers(opts = {}) {
      const p = await versionPrefix();
      const list = await getJson<ContainerSummary[]>(socketPath, `${p}/containers/json${opts.all ? '?all=1' : ''}`);
      if (!Array.isArray(list) || list.some((c) => typeof c?.Id !== 'string')) {
        throw new Error(`Docker socket ${socketPath} answered the container list with something else than a list of containers`);
      }
      return list;
    },
    async inspect(id) {
      const p = await versionPrefix();
      const c = await getJson<ContainerInspect>(socketPath, `${p}/containers/${encodeURIComponent(id)}/json`);
      if (typeof c?.Id !== 'string' || typeof c.Config !== 'object' || typeof c.State !== 'object' || c.Config === null || c.State === null) {
        throw new Error(`Docker socket ${socketPath} answered the inspection of ${id.slice(0, 12)} without Id, Config and State`);
      }
      c.HostConfig ??= {};
      c.Name ??= c.Id.slice(0, 12);
      c.LogPath ??= '';
      return c;
    },
    async stats(id) {
      const p = await versionPrefix();
      return getJson<EngineStats>(socketPath, `${p}/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`);
    },
    async events(filters, onEvent, signal, since) {
      const p = await versionPrefix();
      const q = new URLSearchParams({ filters: JSON.stringify(filters) });
      if (since !== undefined) q.set('since', nsToSecondsString(since));
      const res = await open(socketPath, `${p}/events?${q}`, signal);
      await new Promise<void>((resolve, reject) => {
        let pending = '';
        const fail = (err: Error) => {
          res.destroy();
          reject(err);
        };
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          pending += text;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line === '') continue;
            let e: DockerEvent;
            try {
              e = JSON.parse(line) as DockerEvent;
            } catch {
              return fail(new Error(`Docker socket ${socketPath} sent an event that is not JSON: ${clip(line)}`));
            }
            if (typeof e !== 'object' || e === null || typeof e.Action !== 'string' || typeof e.Actor?.ID !== 'string') {
              return fail(new Error(`Docker socket ${socketPath} sent an event without Action/Actor.ID: ${clip(line)}`));
            }
            try {
              onEvent(e);
            } catch (err) {
              return fail(err as Error);
            }
          }
          if (pending.length > 1024 * 1024) fail(new Error(`Docker socket ${socketPath} sent an event line over 1 MiB`));
        });
        res.on('end', () => (signal.aborted ? resolve() : reject(new Error(`Docker event stream on ${socketPath} ended`))));
        res.on('error', (err) => (signal.aborted ? resolve() : reject(socketError(socketPath, err))));
        res.on('close', () => (signal.aborted ? resolve() : reject(new Error(`Docker event stream on ${socketPath} closed`))));
      });
    },
    async logs(id, opts = {}) {
      const p = await versionPrefix();
      const tty = opts.tty ?? (await api.inspect(id)).Config.Tty === true;
      const q = new URLSearchParams({
        stdout: '1',
        stderr: '1',
        follow: opts.follow === false ? '0' : '1',
        timestamps: opts.timestamps === false ? '0' : '1',
      });
      if (opts.sinceSeconds) q.set('since', String(Math.floor(opts.sinceSeconds)));
      const res = await open(socketPath, `${p}/containers/${encodeURIComponent(id)}/logs?${q}`);
      const out = tty ? rawStream() : new Demultiplexer();
      res.on('error', (err) => out.destroy(socketError(socketPath, err)));
      res.on('aborted', () => out.destroy(new Error(`Docker logs stream of ${id.slice(0, 12)} was cut`)));
      res.pipe(out);
      return {
        tty,
        readable: out,
        destroy() {
          // `out` first: destroying `res` emits 'aborted', whose error must not reach a stream nobody
          // listens to any more (a reader closed while connecting crashed the agent that way).
          out.destroy();
          res.destroy();
        },
        [Symbol.asyncIterator]: () => out[Symbol.asyncIterator]() as AsyncIterator<LogChunk>,
      };
    },
  };
  return api;
}

/** Prefer 1.41; an engine that no longer speaks it gets its own minimum; an old one its maximum. */
export function chooseApiVersion(engineMax: string | undefined, engineMin: string | undefined): string {
  const num = (v: string) => v.split('.').map(Number) as [number, number];
  const less = (a: string, b: string) => {
    const [a1, a2] = num(a);
    const [b1, b2] = num(b);
    return a1 < b1 || (a1 === b1 && a2 < b2);
  };
  const valid = (v: string | undefined): v is string => v !== undefined && /^\d+\.\d+$/.test(v);
  if (valid(engineMin) && less(PREFERRED_API_VERSION, engineMin)) return engineMin;
  if (valid(engineMax) && less(engineMax, PREFERRED_API_VERSION)) return engineMax;
  return PREFERRED_API_VERSION;
}

/**
 * Splits the multiplexed stream of a non-TTY container: 8-byte headers (stream type, 3 zero bytes,
 * big-endian payload length) each followed by one log message.
 */
class Demultiplexer extends Transform {
  private buf: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const type = this.buf[0]!;
      if (type > 2 || this.buf[1] !== 0 || this.buf[2] !== 0 || this.buf[3] !== 0) {
        return done(new DockerStreamFormatError(`Docker logs stream is not multiplexed as expected (header ${this.buf.subarray(0, 8).toString('hex')})`));
      }
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const data = this.buf.subarray(8, 8 + size);
      this.buf = this.buf.subarray(8 + size);
      // Stream 0 (stdin) only appears for attached stdin; treat it as stdout rather than lose it.
      this.push({ stream: type === 2 ? 'stderr' : 'stdout', data } satisfies LogChunk);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.buf.length > 0) return done(new DockerStreamFormatError(`Docker logs stream ended inside a frame (${plural(this.buf.length, 'byte')} left)`));
    done();
  }
}

/** A TTY container's logs are one raw stream, all of it stdout. */
function rawStream(): Transform {
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      done(null, { stream: 'stdout', data: chunk } satisfies LogChunk);
    },
  });
}

/** Opens a GET request and resolves with the response once its status is a success. */
function open(socketPath: string, path: string, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers: { host: 'docker' }, signal });
    req.on('error', (err) => reject(socketError(socketPath, err)));
    // Only until the headers arrive: streams may then stay quiet for as long as nothing happens.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`Docker socket ${socketPath} did not answer within ${REQUEST_TIMEOUT_MS / 1000}s`)));
    req.on('response', (res) => {
      req.setTimeout(0);
      if ((res.statusCode ?? 0) < 400) return resolve(res);
      readBody(res, socketPath).then(
        (body) => reject(statusError(res.statusCode ?? 0, body, path)),
        reject,
      );
    });
    req.end();
  });
}

async function getJson<T>(socketPath: string, path: string): Promise<T> {
  const res = await open(socketPath, path);
  const body = await readBody(res, socketPath);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new Error(`Docker socket ${socketPath} answered ${path} with something that is not JSON: ${clip(body)}`);
  }
}

function readBody(res: IncomingMessage, socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    res.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) res.destroy(new Error(`Docker socket ${socketPath} sent an answer over ${MAX_BODY_BYTES} bytes`));
      else parts.push(b);
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', (err) => reject(socketError(socketPath, err)));
  });
}

function statusError(status: number, body: string, path: string): DockerApiError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  return new DockerApiError(`Docker API ${path.replace(/\?.*/, '')} answered ${status}: ${clip(message)}`, status);
}

/** Turns socket-level failures into messages that say what to do. */
export function socketError(socketPath: string, err: Error & { code?: string }): Error {
  switch (err.code) {
    case 'ENOENT':
      return new Error(`Docker socket ${socketPath} does not exist: is the Docker daemon running, and is the socket mounted into this container?`);
    case 'EACCES':
    case 'EPERM':
      return new Error(`permission denied on Docker socket ${socketPath}: run the agent as root or in the docker group`);
    case 'ECONNREFUSED':
      return new Error(`nothing listens on Docker socket ${socketPath}: the Docker daemon is not running`);
    case 'ENOTSOCK':
      return new Error(`${socketPath} is not a unix socket`);
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_STATUS':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_CR_EXPECTED':
    case 'HPE_LF_EXPECTED':
      return new Error(`Docker socket ${socketPath} did not answer in HTTP (${err.code}): is it really the Docker daemon?`);
    default:
      if (err.code?.startsWith('HPE_')) return new Error(`Docker socket ${socketPath} sent a malformed HTTP answer (${err.code})`);
      return err.message.includes(socketPath) ? err : new Error(`Docker socket ${socketPath}: ${err.message}`);
  }
}


function clip(s: string): string {
  return s.length > 200 ? s.slice(0, 200) + '…' : s;
}
