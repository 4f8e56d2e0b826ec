/**
 * Flags and value parsing shared by the client commands. Every client command takes
 * `--addr` (default: $LOKI_ADDR, as logcli reads it, else http://127.0.0.1:3100), `--tenant`
 * (X-Scope-OrgID, default $LOKI_ORG_ID; `--org-id` is logcli's name for it) and optional auth (`--username`/`--password`,
 * `--bearer-token` or `--bearer-token-file`, defaults from $LOKI_USERNAME, $LOKI_PASSWORD,
 * $LOKI_BEARER_TOKEN, $LOKI_BEARER_TOKEN_FILE, as logcli reads them). Which one is sent when several
 * are given is decided in one place for the CLI and the agent: src/api/auth.ts.
 * TLS towards an https:// address takes logcli's flags and variables too: `--ca-cert`
 * ($LOKI_CA_CERT_PATH), `--cert` and `--key` ($LOKI_CLIENT_CERT_PATH, $LOKI_CLIENT_KEY_PATH) for a
 * server with `tls.client_auth: require`, `--tls-server-name` ($LOKI_TLS_SERVER_NAME) and
 * `--tls-skip-verify` ($LOKI_TLS_SKIP_VERIFY=true; testing only).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { env } from '../config/env.js';
import { LokiClient, type ClientTlsOptions } from '../api/client.js';
import { parseGoDuration, parsePromDuration } from '../api/duration.js';
import { parseLokiTimestamp } from '../api/timestamp.js';
import { UsageError } from './io.js';

export const DEFAULT_ADDR = 'http://127.0.0.1:3100';

type Options = NonNullable<ParseArgsConfig['options']>;

export const CLIENT_OPTIONS = {
  addr: { type: 'string' },
  tenant: { type: 'string' },
  'org-id': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'bearer-token': { type: 'string' },
  'bearer-token-file': { type: 'string' },
  'ca-cert': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'tls-server-name': { type: 'string' },
  'tls-skip-verify': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const CLIENT_HELP = `Connection (every client command):
  --addr URL            server address (default $LOKI_ADDR, else ${DEFAULT_ADDR})
  --tenant ID           tenant, sent as X-Scope-OrgID (default $LOKI_ORG_ID); --org-id ID is the same
  --username, --password   HTTP basic auth (default $LOKI_USERNAME, $LOKI_PASSWORD)
  --bearer-token TOKEN  bearer auth (default $LOKI_BEARER_TOKEN); wins over basic auth
  --bearer-token-file F bearer token read from a file (default $LOKI_BEARER_TOKEN_FILE)
  --ca-cert FILE        PEM CA that signs an https server's certificate (default $LOKI_CA_CERT_PATH)
  --cert FILE, --key FILE  PEM client certificate and key, for a server requiring them (mTLS)
                        (default $LOKI_CLIENT_CERT_PATH, $LOKI_CLIENT_KEY_PATH)
  --tls-server-name N   host name the server's certificate must name (default $LOKI_TLS_SERVER_NAME)
  --tls-skip-verify     do not verify the server's certificate; testing only ($LOKI_TLS_SKIP_VERIFY)
  -h, --help            show this help
`;

/** util.parseArgs with its errors turned into usage errors that name the command. */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's messages ("Unknown option '--x'. To specify a positional argument starting with a '-',
    // place it at the end of the command after '--', as in '-- \"--x\"") are clear; keep their first sentence.
    const msg = (e as Error).message.split('. To specify')[0]!;
    throw new UsageError(`${command}: ${msg}`);
  }
}

export interface ClientFlags {
  addr?: string | undefined;
  tenant?: string | undefined;
  'org-id'?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  'bearer-token'?: string | undefined;
  'bearer-token-file'?: string | undefined;
  'ca-cert'?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  'tls-server-name'?: string | undefined;
  'tls-skip-verify'?: boolean | undefined;
}

/** Builds the client from flags, falling back to logcli's environment variables. */
export function clientFrom(v: ClientFlags): LokiClient {
  const addr = v.addr ?? env('LOKI_ADDR') ?? DEFAULT_ADDR;
  if (v.tenant !== undefined && v['org-id'] !== undefined && v.tenant !== v['org-id']) throw new UsageError('--tenant and --org-id name the same header: give one');
  const tenant = v.tenant ?? v['org-id'] ?? env('LOKI_ORG_ID');
  const username = v.username ?? env('LOKI_USERNAME');
  const password = v.password ?? env('LOKI_PASSWORD');
  const bearerToken = v['bearer-token'] ?? env('LOKI_BEARER_TOKEN');
  const bearerTokenFile = v['bearer-token-file'] ?? env('LOKI_BEARER_TOKEN_FILE');
  try {
    return new LokiClient({
      addr,
      ...(tenant !== undefined ? { tenant } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(bearerToken !== undefined ? { bearerToken } : {}),
      ...(bearerTokenFile !== undefined ? { bearerTokenFile } : {}),
      ...tlsFrom(v),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The words a TLS failure gets, naming the flags that fix it. */
const TLS_HINTS = {
  untrusted: 'give the CA that signed it with --ca-cert FILE (or $LOKI_CA_CERT_PATH)',
  refused: 'give a client certificate the server accepts with --cert FILE --key FILE (or $LOKI_CLIENT_CERT_PATH, $LOKI_CLIENT_KEY_PATH)',
};

/** TLS options from flags and logcli's variables; files are read here so a wrong path names its flag. */
function tlsFrom(v: ClientFlags): { tls: ClientTlsOptions } {
  const read = (flag: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError(`--${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const certPath = v.cert ?? env('LOKI_CLIENT_CERT_PATH');
  const keyPath = v.key ?? env('LOKI_CLIENT_KEY_PATH');
  if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--cert and --key go together: give the client certificate and its private key');
  const skipEnv = env('LOKI_TLS_SKIP_VERIFY');
  if (skipEnv !== undefined && skipEnv !== 'true' && skipEnv !== 'false') throw new UsageError(`$LOKI_TLS_SKIP_VERIFY: "${skipEnv}" is not true or false`);
  const ca = read('ca-cert', v['ca-cert'] ?? env('LOKI_CA_CERT_PATH'));
  const cert = read('cert', certPath);
  const key = read('key', keyPath);
  const serverName = v['tls-server-name'] ?? env('LOKI_TLS_SERVER_NAME');
  const tls: ClientTlsOptions = {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(serverName !== undefined && { serverName }),
    ...((v['tls-skip-verify'] ?? skipEnv === 'true') && { insecureSkipVerify: true }),
  };
  try {
    // A PEM that does not parse, or a key that is not the certificate's, fails here, not at connect.
    if (ca !== undefined || cert !== undefined) createSecureContext(tls);
  } catch (e) {
    throw new UsageError(`--ca-cert/--cert/--key: the TLS files do not load (${(e as Error).message})`);
  }
  return { tls: { ...tls, hints: TLS_HINTS } };
}

/** A duration flag: Prometheus form (`7d`, `1h30m`) or Go form (`1.5h`, `250ms`). Must be > 0. */
export function durationFlag(name: string, text: string): bigint {
  const ns = parsePromDuration(text) ?? parseGoDuration(text);
  if (ns === undefined || ns <= 0n) throw new UsageError(`--${name}: "${text}" is not a positive duration (e.g. 30s, 15m, 1h, 7d)`);
  return ns;
}

/**
 * A time flag: `now`, `now-D` (D a duration: `now-7d`, `now-90m`), RFC3339 (`2024-05-01T10:00:00Z`),
 * Unix seconds, Unix nanoseconds or float seconds.
 */
export function timeFlag(name: string, text: string, now: bigint): bigint {
  if (text === 'now') return now;
  if (text.startsWith('now-')) {
    const d = parsePromDuration(text.slice(4)) ?? parseGoDuration(text.slice(4));
    if (d === undefined || d < 0n) throw new UsageError(`--${name}: "${text}" is not a time: after "now-" comes a duration (e.g. now-7d, now-90m)`);
    return now - d;
  }
  const ns = parseLokiTimestamp(text);
  if (ns === undefined) throw new UsageError(`--${name}: "${text}" is not a time (want RFC3339 such as 2024-05-01T10:00:00Z, Unix seconds or nanoseconds, "now" or now-D such as now-7d)`);
  return ns;
}

/** A positive integer flag. */
export function intFlag(name: string, text: string, min = 1): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`--${name}: "${text}" is not an integer >= ${min}`);
  }
  return Number(text);
}

/** Resolves `--since` / `--from` / `--to` into a range; `--since` and `--from` exclude each other. */
export function rangeFlags(v: { since?: string | undefined; from?: string | undefined; to?: string | undefined }, now: bigint, defaultSince: bigint): { start: bigint; end: bigint } {
  if (v.since !== undefined && v.from !== undefined) throw new UsageError('--since and --from exclude each other: give a window back from now, or absolute times');
  const end = v.to !== undefined ? timeFlag('to', v.to, now) : now;
  const start = v.from !== undefined ? timeFlag('from', v.from, now) : end - (v.since !== undefined ? durationFlag('since', v.since) : defaultSince);
  if (end < start) throw new UsageError('--to must not be before --from');
  return { start, end };
}


export type OutputMode = 'raw' | 'jsonl' | 'table';

export function outputFlag(text: string | undefined, def: OutputMode = 'table'): OutputMode {
  if (text === undefined) return def;
  if (text === 'raw' || text === 'jsonl' || text === 'table') return text;
  throw new UsageError(`--output: "${text}" is not one of raw, jsonl, table`);
}
