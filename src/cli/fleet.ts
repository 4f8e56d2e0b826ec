/**
 * `logwharf fleet apply|status|history|rollback` (issue #13): the control plane's commands, over the
 * fleet API (docs/fleet.md) through the one HTTP client, with every client command's connection and
 * TLS flags. Subcommands sit in one table so others are added beside them.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { isLogwharfError } from '../api/errors.js';
import { checkConfigName, FLEET_API, parseCanary, parseSelector, type WireAgent, type WireApplyResult, type WireHistory, type WireRollout } from '../api/fleet.js';
import { DURATION_PATTERN } from '../config/server.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, intFlag, parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

export const FLEET_USAGE = `Usage:
  logwharf fleet apply FILE --addr URL [--name N] [--selector k=v,...] [--canary N|P%] [--window 30s] [--comment C]
  logwharf fleet status --addr URL [--output table|json]
  logwharf fleet history NAME --addr URL [--output table|json]
  logwharf fleet rollback NAME --to VERSION --addr URL
  logwharf fleet render-otel FILE [--server URL] [--token-file F | --token-env VAR] [--tenant T] [--ca-file F]

Agent configurations managed by the server and rolled out over OpAMP (docs/fleet.md).
  apply      check FILE (a remote agent configuration, YAML) on the server, store it as the next
             version of configuration N and start its rollout; prints the rollout id
    --name N          the configuration's name (default: FILE's name without its extension)
    --selector S      the agents it is for: host=, cluster=, role=, type= pairs, comma-separated
                      (default: the configuration's current selector; every agent for a new one)
    --canary C        agents that get it first: a number (default 1) or a percentage (10%)
    --window D        how long the canaries must stay healthy before the rest get it (default: the server's fleet.default_window)
    --comment C       stored with the version, shown by history
  status     agents (id, host, config version, healthy, last seen) and rollouts (id, state)
  history    the versions of configuration NAME, each with its diff to the one before
  rollback   roll configuration NAME back to version VERSION: stored as a new version, rolled out to
             every matching agent at once (with the health window); stops a running rollout
    --to V            the version to go back to
  render-otel  print FILE as an OpenTelemetry Collector configuration (offline; warnings on stderr;
             "logwharf fleet render-otel --help" for its flags)
  --output F  table (default) or json

${CLIENT_HELP}`;

type Sub = (argv: string[], io: CliIO) => Promise<number>;

const SUBCOMMANDS: Record<string, Sub> = {
  apply,
  status,
  history,
  rollback,
  // Loaded on demand: the Collector builder is of no use to the other subcommands.
  'render-otel': async (argv, io) => (await import('./fleet-render-otel.js')).runFleetRenderOtel(argv, io),
};

export async function runFleet(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(sub === undefined ? io.stderr : io.stdout, FLEET_USAGE);
    return sub === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError(`fleet: unknown subcommand "${sub}" (want ${Object.keys(SUBCOMMANDS).join(', ')})`);
  return run(rest, io);
}

/** A value parsed by src/api/fleet.ts, its error turned into a usage error naming the flag. */
function flag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (isLogwharfError(e)) throw new UsageError(`--${name}: ${e.message}`);
    throw e;
  }
}

function outputFlag(text: string | undefined): 'table' | 'json' {
  if (text === undefined || text === 'table' || text === 'json') return text ?? 'table';
  throw new UsageError(`--output: "${text}" is not one of table, json`);
}

async function json<T>(res: Response): Promise<T> {
  return ((await res.json()) as { data: T }).data;
}

async function apply(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('fleet apply', argv, {
    ...CLIENT_OPTIONS,
    name: { type: 'string' },
    selector: { type: 'string' },
    canary: { type: 'string' },
    window: { type: 'string' },
    comment: { type: 'string' },
  });
  if (v.help) return help(io);
  if (positionals.length !== 1) throw new UsageError(`fleet apply: give exactly one FILE (got ${positionals.length})`);
  const file = positionals[0]!;
  const name = flag('name', () => checkConfigName(v.name ?? basename(file, extname(file))));
  if (v.selector !== undefined) flag('selector', () => parseSelector(v.selector!));
  if (v.canary !== undefined) flag('canary', () => parseCanary(v.canary!));
  if (v.window !== undefined && !DURATION_PATTERN.test(v.window)) throw new UsageError(`--window: "${v.window}" is not a duration (e.g. 30s, 5m)`);
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    throw new UsageError(`fleet apply: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const params = new URLSearchParams();
  for (const k of ['selector', 'canary', 'window', 'comment'] as const) if (v[k] !== undefined) params.set(k, v[k]!);
  const client = clientFrom(v);
  const res = await client.send('POST', `${FLEET_API}/configs/${encodeURIComponent(name)}`, params, { contentType: 'application/yaml', body });
  const r = await json<WireApplyResult>(res);
  // A configuration for Collectors: what the rendering could not translate, as `fleet render-otel` prints it.
  for (const w of r.warnings ?? []) await write(io.stderr, `warning: ${w}\n`);
  if (r.unchanged) {
    await write(io.stderr, `configuration "${name}" unchanged: version ${r.version} ${r.rollout ? `is rolling out (rollout ${r.rollout.id}, ${r.rollout.phase})` : 'is already rolled out'}\n`);
    if (r.rollout) await write(io.stdout, `${r.rollout.id}\n`);
    return 0;
  }
  const ro = r.rollout!;
  await write(io.stderr, `configuration "${name}" version ${r.version} (sha256 ${r.hash.slice(0, 12)}) stored; rollout ${ro.id}: ${ro.phase}${ro.reason ? ` (${ro.reason})` : ''}\n`);
  await write(io.stdout, `${ro.id}\n`);
  return ro.state === 'failed' || ro.state === 'rolled_back' ? 1 : 0;
}

async function rollback(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('fleet rollback', argv, { ...CLIENT_OPTIONS, to: { type: 'string' } });
  if (v.help) return help(io);
  if (positionals.length !== 1) throw new UsageError('fleet rollback: give exactly one configuration NAME');
  const name = flag('name', () => checkConfigName(positionals[0]!));
  if (v.to === undefined) throw new UsageError('fleet rollback: --to VERSION is required');
  const to = intFlag('to', v.to);
  const res = await clientFrom(v).send('POST', `${FLEET_API}/configs/${encodeURIComponent(name)}/rollback`, new URLSearchParams({ to: String(to) }));
  const r = await json<WireApplyResult>(res);
  const ro = r.rollout!;
  await write(io.stderr, `configuration "${name}" rolled back to version ${to} as version ${r.version}; rollout ${ro.id}: ${ro.phase}${ro.reason ? ` (${ro.reason})` : ''}\n`);
  await write(io.stdout, `${ro.id}\n`);
  return ro.state === 'failed' || ro.state === 'rolled_back' ? 1 : 0;
}

async function status(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('fleet status', argv, { ...CLIENT_OPTIONS, output: { type: 'string' } });
  if (v.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`fleet status: unexpected argument "${positionals[0]}"`);
  const output = outputFlag(v.output);
  const client = clientFrom(v);
  const agents = await json<WireAgent[]>(await client.send('GET', `${FLEET_API}/agents`));
  const rollouts = await json<WireRollout[]>(await client.send('GET', `${FLEET_API}/rollouts`));
  if (output === 'json') {
    await write(io.stdout, JSON.stringify({ agents, rollouts }, null, 2) + '\n');
    return 0;
  }
  const dash = (x: unknown) => (x === null || x === '' || x === undefined ? '-' : String(x));
  await write(io.stdout, 'AGENTS\n' + table(
    ['ID', 'HOST', 'CONFIG', 'CONFIG_VERSION', 'HEALTHY', 'STATE', 'LAST_SEEN'],
    agents.map((a) => [a.id, dash(a.host), dash(a.config), dash(a.config_version), dash(a.healthy), !a.connected ? 'disconnected' : a.stale ? 'stale' : 'connected', a.last_seen]),
  ));
  await write(io.stdout, '\nROLLOUTS\n' + table(
    ['ID', 'CONFIG', 'VERSION', 'STATE', 'PHASE', 'CREATED', 'REASON'],
    rollouts.map((r) => [String(r.id), r.config, String(r.version), r.state, r.phase, r.created_at, dash(r.reason)]),
  ));
  return 0;
}

async function history(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('fleet history', argv, { ...CLIENT_OPTIONS, output: { type: 'string' } });
  if (v.help) return help(io);
  if (positionals.length !== 1) throw new UsageError('fleet history: give exactly one configuration NAME');
  const name = flag('name', () => checkConfigName(positionals[0]!));
  const output = outputFlag(v.output);
  const h = await json<WireHistory>(await clientFrom(v).send('GET', `${FLEET_API}/configs/${encodeURIComponent(name)}/history`));
  if (output === 'json') {
    await write(io.stdout, JSON.stringify(h, null, 2) + '\n');
    return 0;
  }
  let out = `configuration ${h.config}, selector ${h.selector || '(every agent)'}, good version ${h.good_version ?? '-'}\n`;
  for (const ver of h.versions) {
    out += `\nversion ${ver.version}  ${ver.created_at}  by ${ver.author}  sha256 ${ver.hash.slice(0, 12)}${ver.selector !== h.selector ? `  selector ${ver.selector || '(every agent)'}` : ''}${ver.comment ? `  "${ver.comment}"` : ''}\n`;
    if (ver.diff) out += ver.diff;
  }
  await write(io.stdout, out);
  return 0;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n';
  return line(head) + rows.map(line).join('');
}

async function help(io: CliIO): Promise<number> {
  await write(io.stdout, FLEET_USAGE);
  return 0;
}

