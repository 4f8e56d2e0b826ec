/**
 * `logwharf fleet render-otel FILE [--server URL] [--token-file F | --token-env VAR] [--tenant T] [--ca-file F]`
 * (issue #13): an agent configuration (the file `fleet apply` takes) rendered as an OpenTelemetry
 * Collector configuration that ships to this server (src/fleet/otel-collector.ts). The YAML goes to
 * stdout, each setting that could not be translated to stderr as a warning; the exit code is 0 either
 * way, because a warning is a difference to know, not a failure.
 */
import { isLogwharfError } from '../api/errors.js';
import { agentConfigSchema, type AgentConfig } from '../config/agent.js';
import { readYamlMapping, validateConfig } from '../config/file.js';
import { renderCollectorConfig, type CollectorTarget } from '../fleet/otel-collector.js';
import { parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

export const RENDER_OTEL_USAGE = `Usage: logwharf fleet render-otel FILE [--server URL] [--token-file F | --token-env VAR] [--tenant T] [--ca-file F]

Prints an OpenTelemetry Collector configuration (contrib or k8s distribution) that collects what the
agent configuration FILE collects, with its drop, multiline, timestamp and relabel rules and external
labels, and ships OTLP/HTTP to the server (docs/fleet.md, "Collectors"). What cannot be translated is printed to stderr as a warning and kept as a
comment at the top of the YAML.
  --server URL      the server's base URL (default: client.url of FILE)
  --token-file F    the Collector reads its bearer token from F (default: client.bearer_token_file)
  --token-env VAR   the Collector reads its bearer token from the environment variable VAR
  --tenant T        sent as X-Scope-OrgID (default: client.tenant_id)
  --ca-file F       PEM file of the CA of the server's certificate (default: client.tls.ca_file)
`;

export async function runFleetRenderOtel(argv: string[], io: CliIO): Promise<number> {
  const { values: flags, positionals } = parseCommand('fleet render-otel', argv, {
    server: { type: 'string' },
    'token-file': { type: 'string' },
    'token-env': { type: 'string' },
    tenant: { type: 'string' },
    'ca-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    await write(io.stdout, RENDER_OTEL_USAGE);
    return 0;
  }
  const [file, extra] = positionals;
  if (file === undefined) throw new UsageError('fleet render-otel: name the agent configuration file');
  if (extra !== undefined) throw new UsageError(`fleet render-otel: unexpected argument "${extra}"`);
  if (flags['token-file'] !== undefined && flags['token-env'] !== undefined) throw new UsageError('fleet render-otel: --token-file and --token-env are exclusive: give one');
  for (const name of ['server', 'token-file', 'token-env', 'tenant', 'ca-file'] as const) {
    if (flags[name] === '') throw new UsageError(`fleet render-otel: --${name} needs a value`);
  }
  if (flags['token-env'] !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags['token-env'])) {
    throw new UsageError(`fleet render-otel: --token-env ${JSON.stringify(flags['token-env'])} is not an environment variable name`);
  }
  if (flags.server !== undefined && !/^https?:\/\/[^\s/]+/i.test(flags.server)) throw new UsageError(`fleet render-otel: --server ${JSON.stringify(flags.server)} is not an http:// or https:// URL`);
  let settings: AgentConfig;
  try {
    settings = validateConfig(agentConfigSchema, readYamlMapping(file), file);
  } catch (e) {
    // A bad file is a mistake in how the command was called, as `deploy --values` treats it.
    if (isLogwharfError(e)) throw new UsageError(e.message);
    throw e;
  }
  const target: CollectorTarget = {};
  if (flags.server !== undefined) target.server = flags.server;
  if (flags['token-file'] !== undefined) target.tokenFile = flags['token-file'];
  if (flags['token-env'] !== undefined) target.tokenEnv = flags['token-env'];
  if (flags.tenant !== undefined) target.tenant = flags.tenant;
  if (flags['ca-file'] !== undefined) target.caFile = flags['ca-file'];
  let rendered;
  try {
    rendered = renderCollectorConfig(settings, target);
  } catch (e) {
    if (isLogwharfError(e)) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
  await write(io.stdout, rendered.yaml);
  for (const w of rendered.warnings) await write(io.stderr, `warning: ${w}\n`);
  return 0;
}
