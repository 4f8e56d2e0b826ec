/**
 * `logwharf deploy kubernetes|compose|grafana [--out DIR] [--values FILE]`: renders a deployment
 * from the typed builders in src/deploy. Loaded on demand by ./dispatch.ts, so neither the server
 * nor the agent role ever loads the builders.
 */
import { isLogwharfError } from '../api/errors.js';
import { loadDeployValues, type DeployValues } from '../deploy/values.js';
import { DEPLOY_TARGETS, render, type DeployTarget } from '../deploy/render.js';
import { writeRendered } from '../deploy/write.js';
import { parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

export const DEPLOY_USAGE = `Usage: logwharf deploy kubernetes|compose|grafana [--out DIR] [--values FILE]

Renders a deployment from one set of builders (docs/deploy.md):
  kubernetes  Namespace, agent RBAC and DaemonSet, server StatefulSet with its PVC, Service,
              PodDisruptionBudget, NetworkPolicy and ConfigMaps, a Grafana datasource ConfigMap
  compose     docker-compose.yml running 'logwharf up', with grafana and alertmanager profiles
  grafana     a Grafana provisioning directory (the datasource)
  --out DIR       write the files under DIR (created if missing); without it they are printed,
                  each after a '# <file>' line (kubernetes: pipe to 'kubectl apply -f -')
  --values FILE   YAML of options (namespace, image, storage, retention, resources, TLS, tokens,
                  Grafana, Alertmanager, node selector, tolerations); unknown keys are refused
`;

export async function runDeploy(argv: string[], io: CliIO): Promise<number> {
  const { values: flags, positionals } = parseCommand('deploy', argv, {
    out: { type: 'string' },
    values: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    await write(io.stdout, DEPLOY_USAGE);
    return 0;
  }
  const [target, extra] = positionals;
  if (target === undefined) throw new UsageError('deploy: name what to render: kubernetes, compose or grafana');
  // The Pulumi program imports the builders from the repository, so it is run there, not rendered.
  if (target === 'pulumi') throw new UsageError('deploy: pulumi is not rendered: run the Pulumi program in deploy/pulumi of the repository, which creates the objects `deploy kubernetes` renders (docs/deploy.md, "Pulumi")');
  if (!(DEPLOY_TARGETS as readonly string[]).includes(target)) throw new UsageError(`deploy: unknown target "${target}" (want kubernetes, compose or grafana)`);
  if (extra !== undefined) throw new UsageError(`deploy: unexpected argument "${extra}"`);
  if (flags.out === '') throw new UsageError('deploy: --out needs a directory');
  let values: DeployValues;
  try {
    values = loadDeployValues(flags.values);
  } catch (e) {
    // A bad values file is a mistake in how the command was called, like a bad flag.
    if (isLogwharfError(e)) throw new UsageError(`--values: ${e.message}`);
    throw e;
  }
  const files = render(target as DeployTarget, values);
  if (flags.out === undefined) {
    for (const [name, text] of files) await write(io.stdout, `# ${name}\n${text}${text.endsWith('\n') ? '' : '\n'}`);
    return 0;
  }
  for (const path of await writeRendered(files, flags.out)) await write(io.stdout, `wrote ${path}\n`);
  return 0;
}
