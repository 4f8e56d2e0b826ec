/**
 * Starts a worker thread running a module that sits beside the caller, from dist/ (compiled .js) or
 * from source under tsx (tests, benchmarks). tsx's --import hooks do not reach worker threads, so a
 * worker started from source registers tsx itself before importing the TypeScript module.
 */
import { Worker } from 'node:worker_threads';

/** `callerUrl` is the caller's import.meta.url; `name` the module's file name without extension. */
export function spawnModuleWorker(callerUrl: string, name: string): Worker {
  if (callerUrl.endsWith('.ts')) {
    const url = new URL(`./${name}.ts`, callerUrl).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(code, { eval: true });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl));
}
