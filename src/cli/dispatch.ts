/**
 * argv → command. Client commands live beside this file; `server` and `up` are loaded from
 * ./server.js on demand, so the client commands start fast and a build without the server role
 * says so plainly. Exit codes: 0 success, 1 the command failed (server error, unreachable address),
 * 2 the command was called wrongly.
 */
import { readFileSync } from 'node:fs';
import { LokiClientError } from '../api/client.js';
import { UsageError, write, type CliIO } from './io.js';
import { runQuery } from './query.js';
import { runTail } from './tail.js';
import { runLabels } from './labels.js';
import { runSeries } from './series.js';
import { runPush } from './push.js';

type Command = (argv: string[], io: CliIO) => Promise<number>;

/** What ./server.js provides. `runUp` joins when the all-in-one role lands. */
interface ServerModule {
  runServer(argv: string[]): Promise<number>;
  runUp?(argv: string[]): Promise<number>;
}

async function loadServerModule(): Promise<ServerModule> {
  // A computed specifier keeps the type checker from requiring the file; it resolves relative to
  // this module at run time either way (src/cli under tsx, dist/cli when built).
  const spec = './server.js';
  try {
    return (await import(spec)) as ServerModule;
  } catch (e) {
    // Only a missing server.js itself means "not in this build"; a module missing further down is a
    // broken build, and Node's message (which names both files) says more than we could.
    const missing = /Cannot find module '([^']+)'/.exec(String((e as Error).message))?.[1] ?? '';
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /[/\\]cli[/\\]server\.[jt]s$/.test(missing)) {
      throw new Error('the server role is not part of this build (cli/server.js is missing)', { cause: e });
    }
    throw e;
  }
}

const COMMANDS: Record<string, Command> = {
  query: runQuery,
  tail: runTail,
  labels: runLabels,
  series: runSeries,
  push: runPush,
  server: async (argv) => (await loadServerModule()).runServer(argv),
  up: async (argv) => {
    const mod = await loadServerModule();
    if (!mod.runUp) throw new Error('`logharbor up` is not available in this build yet; use `logharbor server`');
    return mod.runUp(argv);
  },
};

export const USAGE = `Usage: logharbor <command> [flags]

Roles:
  server     run the Loki-compatible server with its embedded store
  up         run server and agent in one process (one Docker host)

Client commands (work against logharbor and Loki alike):
  query      run a LogQL query over a time range
  tail       follow a LogQL query live
  labels     list label names, or one label's values
  series     list streams matching selectors
  push       push standard input, one entry per line

Run 'logharbor <command> --help' for a command's flags; 'logharbor --version' for the version.
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
      const hint = name && Object.hasOwn(COMMANDS, name) ? `logharbor ${name} --help` : 'logharbor --help';
      await write(io.stderr, `error: ${e.message}\nRun '${hint}' for usage.\n`);
      return 2;
    }
    const msg = e instanceof LokiClientError ? e.message : (e as Error)?.message ?? String(e);
    await write(io.stderr, `error: ${msg}\n`);
    return 1;
  }
}
