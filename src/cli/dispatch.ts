/**
 * argv → command. Client commands live beside this file; `server` and `up` are loaded from
 * ./server.js on demand, so the client commands start fast and a build without the server role
 * says so plainly. Exit codes: 0 success, 1 the command failed (server error, unreachable address),
 * 2 the command was called wrongly.
 */
import { readFileSync } from 'node:fs';
import { LokiClientError } from '../api/client.js';
import { UsageError, write, type CliIO } from './io.js';

type Command = (argv: string[], io: CliIO) => Promise<number>;

/**
 * A client command, loaded when it runs: each loads its own modules (the rules engine, the export
 * state, ...), which `logwharf agent` would otherwise carry for its whole life (issue #17: ~4 MB RSS).
 */
function client<K extends string>(load: () => Promise<Record<K, Command>>, name: K): Command {
  return async (argv, io) => (await load())[name](argv, io);
}

/** What ./server.js provides. */
interface ServerModule {
  runServer(argv: string[]): Promise<number>;
  runUp(argv: string[]): Promise<number>;
}

/** What ./fsck.js provides; loaded on demand because it loads the store. */
interface FsckModule {
  runFsck(argv: string[], io: CliIO): Promise<number>;
}

/** What ./token.js provides; loaded on demand because it loads better-sqlite3. */
interface TokenModule {
  runToken(argv: string[], io: CliIO): Promise<number>;
}

/** What ./deploy.js provides; loaded on demand so no role loads the deployment builders. */
interface DeployModule {
  runDeploy(argv: string[], io: CliIO): Promise<number>;
}

/** What ./backup.js provides; loaded on demand (backup, verify and restore). */
interface BackupModule {
  runBackup(argv: string[], io: CliIO): Promise<number>;
  runRestore(argv: string[], io: CliIO): Promise<number>;
}

/** What ./fleet.js provides. */
interface FleetModule {
  runFleet(argv: string[], io: CliIO): Promise<number>;
}

/** What ./agent.js provides; loaded alone so the agent never loads the store (its footprint stays small). */
interface AgentModule {
  runAgent(argv: string[]): Promise<number>;
}

async function loadServerModule(): Promise<ServerModule> {
  return loadRole<ServerModule>('./server.js', 'server');
}

async function loadRole<T>(spec: string, role: string): Promise<T> {
  // A computed specifier keeps the type checker from requiring the file; it resolves relative to
  // this module at run time either way (src/cli under tsx, dist/cli when built).
  try {
    return (await import(spec)) as T;
  } catch (e) {
    // Only the role's own file missing means "not in this build"; a module missing further down is a
    // broken build, and Node's message (which names both files) says more than we could.
    const missing = /Cannot find module '([^']+)'/.exec(String((e as Error).message))?.[1] ?? '';
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && missing.replace(/\.[jt]s$/, '').replace(/\\/g, '/').endsWith('/cli' + spec.slice(1).replace(/\.js$/, ''))) {
      throw new Error(`the ${role} role is not part of this build (cli${spec.slice(1)} is missing)`, { cause: e });
    }
    throw e;
  }
}

const COMMANDS: Record<string, Command> = {
  query: client(() => import('./query.js'), 'runQuery'),
  tail: client(() => import('./tail.js'), 'runTail'),
  labels: client(() => import('./labels.js'), 'runLabels'),
  series: client(() => import('./series.js'), 'runSeries'),
  push: client(() => import('./push.js'), 'runPush'),
  rules: client(() => import('./rules.js'), 'runRules'),
  export: client(() => import('./export.js'), 'runExport'),
  import: client(() => import('./import.js'), 'runImport'),
  // Loaded on demand: it reads the server's duration syntax (src/config), which other client commands do not load.
  fleet: async (argv, io) => (await loadRole<FleetModule>('./fleet.js', 'fleet')).runFleet(argv, io),
  status: client(() => import('./status.js'), 'runStatus'),
  server: async (argv) => (await loadServerModule()).runServer(argv),
  up: async (argv) => (await loadServerModule()).runUp(argv),
  agent: async (argv) => (await loadRole<AgentModule>('./agent.js', 'agent')).runAgent(argv),
  fsck: async (argv, io) => (await loadRole<FsckModule>('./fsck.js', 'server')).runFsck(argv, io),
  token: async (argv, io) => (await loadRole<TokenModule>('./token.js', 'server')).runToken(argv, io),
  deploy: async (argv, io) => (await loadRole<DeployModule>('./deploy.js', 'deploy')).runDeploy(argv, io),
  backup: async (argv, io) => (await loadRole<BackupModule>('./backup.js', 'server')).runBackup(argv, io),
  restore: async (argv, io) => (await loadRole<BackupModule>('./backup.js', 'server')).runRestore(argv, io),
};

export const USAGE = `Usage: logwharf <command> [flags]

Roles:
  server     run the Loki-compatible server with its embedded store
  up         run server and agent in one process (one Docker host)
  agent      collect this host's container and file logs and ship them to a server

Maintenance:
  fsck       verify every checksum of a stopped server's data directory
  token      create, list and revoke the access tokens of a data directory (also while the server runs)
  deploy     render Kubernetes manifests, a Docker Compose file or Grafana provisioning (docs/deploy.md)
  backup     back up a running server (--addr) or a data directory (--data); 'backup verify DIR'
  restore    write a backup into a new data directory
  fleet      agent configurations from the server: apply (with canary rollout), status, history, rollback;
             render-otel: an agent configuration as an OpenTelemetry Collector configuration

Client commands (work against logwharf and Loki alike):
  query      run a LogQL query over a time range
  tail       follow a LogQL query live
  labels     list label names, or one label's values
  series     list streams matching selectors
  push       push standard input, one entry per line
  rules      lint rule files; list, get, delete and sync the ruler's rules; backtest a rule file
  export     write every entry a log query matches over a range (jsonl, csv, Loki push JSON); resumable
  import     push a file written by export (to logwharf or Loki)
  status     the server's health: each component ok, warning or critical (logwharf only; exit 1 when critical)

Run 'logwharf <command> --help' for a command's flags; 'logwharf --version' for the version.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one invocation; resolves to the exit code. Errors are printed, never thrown. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      await write(io.stderr, USAGE);
      return 2;
    }
    if (name === '--help' || name === '-h') {
      await write(io.stdout, USAGE);
      return 0;
    }
    if (name === 'help') {
      if (rest[0] === undefined) {
        await write(io.stdout, USAGE);
        return 0;
      }
      return await run([rest[0], '--help'], io);
    }
    if (name === '--version' || name === 'version') {
      await write(io.stdout, version() + '\n');
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) {
      throw new UsageError(name.startsWith('-') ? `unknown flag "${name}" before the command` : `unknown command "${name}"`);
    }
    return await command(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      const hint = name && Object.hasOwn(COMMANDS, name) ? `logwharf ${name} --help` : 'logwharf --help';
      await write(io.stderr, `error: ${e.message}\nRun '${hint}' for usage.\n`);
      return 2;
    }
    const msg = e instanceof LokiClientError ? e.message : (e as Error)?.message ?? String(e);
    await write(io.stderr, `error: ${msg}\n`);
    return 1;
  }
}
