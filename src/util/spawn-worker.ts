/**
 * Starts a worker thread running a module that sits beside the caller, from dist/ (compiled .js) or
 * from source under tsx (tests, benchmarks). tsx's --import hooks do not reach worker threads, so a
 * worker started from source registers tsx itself before importing the TypeScript module.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * `callerUrl` is the caller's import.meta.url; `name` the module's file name without extension.
 * `resourceLimits` caps the worker's V8 heap (Node stops a worker that outgrows it; note that a
 * --max-old-space-size given to the process overrides maxOldGenerationSizeMb).
 */
export function spawnModuleWorker(callerUrl: string, name: string, resourceLimits?: ResourceLimits): Worker {
  const opts = resourceLimits ? { resourceLimits } : {};
  if (callerUrl.endsWith('.ts')) {
    const url = new URL(`./${name}.ts`, callerUrl).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(code, { eval: true, ...opts });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), opts);
}
