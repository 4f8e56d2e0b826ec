/**
 * Delete requests (Loki's log deletion API, issue #15): kept per tenant in
 * `<data>/deletes/requests.json` (replaced atomically on every change, so they survive a restart
 * and a crash), cancellable during `deletion.cancel_period`, then applied by the store
 * (`deleteEntries`) one at a time, and marked `processed` only after the store has rewritten its
 * index. A crash in between leaves the request `received` and due, so it is applied again at the
 * next start; applying it twice removes nothing more.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import client, { type Registry } from 'prom-client';
import { LogwharfError } from '../api/errors.js';
import { nsToJsonSeconds, type DeleteRequestJson, type DeleteRequestParams, type DeleteRequestStatus } from '../api/delete-request.js';
import { msToNs } from '../api/time-units.js';
import type { EmbeddedStore } from '../store/index.js';
import { DAMAGED_INFIX, writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { REAL_TIMERS, type Timers } from '../util/timers.js';
import { minOf } from '../util/arrays.js';
import { deleteSelection, redactedQuery } from './delete-selection.js';

/** A failed apply (disk trouble) is tried again after this long. */
const RETRY_MS = 60_000;

interface StoredRequest {
  tenant: string;
  id: string;
  query: string;
  /** ns as decimal strings (JSON has no bigint). */
  start: string;
  end: string;
  createdAtMs: number;
  status: DeleteRequestStatus;
  processedAtMs?: number;
  deletedEntries?: number;
}

export interface DeleteRequestsDeps {
  dataDir: string;
  store: Pick<EmbeddedStore, 'deleteEntries'>;
  cancelPeriodMs: number;
  log: Logger;
  registry?: Registry;
  now?: () => number;
  timers?: Timers;
}

export interface DeleteRequests {
  open(): Promise<void>;
  close(): Promise<void>;
  add(tenant: string, p: DeleteRequestParams): Promise<DeleteRequestJson>;
  list(tenant: string): DeleteRequestJson[];
  cancel(tenant: string, id: string): Promise<void>;
  /** Resolves when every due request has been applied (tests, shutdown). */
  idle(): Promise<void>;
}

export function createDeleteRequests(deps: DeleteRequestsDeps): DeleteRequests {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? REAL_TIMERS;
  const dir = join(deps.dataDir, 'deletes');
  const path = join(dir, 'requests.json');
  let requests: StoredRequest[] = [];
  let timer: unknown;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const registers = deps.registry ? [deps.registry] : [];
  const processed = new client.Counter({ name: 'logwharf_delete_requests_processed_total', help: 'Delete requests applied to the store', registers });
  const deleted = new client.Counter({ name: 'logwharf_deleted_entries_total', help: 'Entries removed by delete requests', registers });
  const failures = new client.Counter({ name: 'logwharf_delete_request_failures_total', help: 'Attempts to apply a delete request that failed (retried)', registers });
  new client.Gauge({
    name: 'logwharf_delete_requests_pending',
    help: 'Delete requests received and not yet processed',
    registers,
    collect() {
      this.set(requests.filter((r) => r.status === 'received').length);
    },
  });

  const due = (r: StoredRequest) => r.createdAtMs + deps.cancelPeriodMs;
  const toJson = (r: StoredRequest): DeleteRequestJson => ({
    request_id: r.id,
    start_time: nsToJsonSeconds(BigInt(r.start)),
    end_time: nsToJsonSeconds(BigInt(r.end)),
    query: r.query,
    status: r.status,
    created_at: nsToJsonSeconds(msToNs(r.createdAtMs)),
  });

  let writes: Promise<unknown> = Promise.resolve();
  /** Changes the list and writes it; changes run one at a time on the latest list, so none is lost. */
  function update(fn: (current: StoredRequest[]) => StoredRequest[]): Promise<void> {
    const run = writes.then(async () => {
      const next = fn(requests);
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(path, JSON.stringify({ version: 1, requests: next }, null, 1));
      requests = next;
    });
    writes = run.catch(() => {});
    return run;
  }

  function schedule(): void {
    if (closed) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    const pending = requests.filter((r) => r.status === 'received');
    if (pending.length === 0) return;
    const at = minOf(pending, due);
    timer = timers.setTimeout(() => {
      timer = undefined;
      chain = chain.then(applyDue);
    }, Math.max(0, at - now()));
  }

  async function applyDue(): Promise<void> {
    for (;;) {
      if (closed) return;
      const r = requests.find((x) => x.status === 'received' && due(x) <= now());
      if (!r) break;
      try {
        const res = await deps.store.deleteEntries(r.tenant, deleteSelection(r.query, BigInt(r.start), BigInt(r.end)));
        await update((cur) => cur.map((x) => (x.id === r.id ? { ...x, query: redactedQuery(x.query), status: 'processed' as const, processedAtMs: now(), deletedEntries: res.deletedEntries } : x)));
        processed.inc();
        deleted.inc(res.deletedEntries);
        deps.log.info({ tenant: r.tenant, requestId: r.id, deletedEntries: res.deletedEntries, rewrittenBlocks: res.rewrittenBlocks, droppedSegments: res.droppedSegments }, 'delete request processed');
      } catch (e) {
        if (closed) return;
        failures.inc();
        deps.log.error({ err: e, tenant: r.tenant, requestId: r.id }, `applying the delete request failed; retried in ${RETRY_MS / 1000}s`);
        if (timer !== undefined) timers.clearTimeout(timer);
        timer = timers.setTimeout(() => {
          timer = undefined;
          chain = chain.then(applyDue);
        }, RETRY_MS);
        return;
      }
    }
    schedule();
  }

  return {
    async open() {
      let text: string | undefined;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (text !== undefined) {
        try {
          const parsed = JSON.parse(text) as { requests?: StoredRequest[] };
          if (!Array.isArray(parsed.requests)) throw new Error('no "requests" array');
          requests = parsed.requests;
        } catch (e) {
          // Written atomically, so only outside damage gets here: keep the file for a human.
          const aside = `${path}${DAMAGED_INFIX}${new Date(now()).toISOString()}`;
          await rename(path, aside);
          deps.log.error({ err: e, file: path, movedTo: aside }, 'the delete requests file does not parse; moved aside, no request is pending');
        }
      }
      // Requests due while the server was down (or interrupted by a crash) are applied now.
      schedule();
    },
    async close() {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      await chain;
    },
    async add(tenant, p) {
      // Checked now, so a bad query is a 400 and never a request that fails forever.
      deleteSelection(p.query, p.start, p.end);
      let id: string;
      do id = randomBytes(4).toString('hex');
      while (requests.some((r) => r.id === id));
      const r: StoredRequest = { tenant, id, query: p.query, start: String(p.start), end: String(p.end), createdAtMs: now(), status: 'received' };
      await update((cur) => [...cur, r]);
      schedule();
      return toJson(r);
    },
    list(tenant) {
      return requests.filter((r) => r.tenant === tenant).map(toJson);
    },
    async cancel(tenant, id) {
      // Checked where the change runs, after every earlier change: never a request being applied.
      await update((cur) => {
        const r = cur.find((x) => x.tenant === tenant && x.id === id);
        if (!r) throw new LogwharfError('not_found', `could not find delete request with id ${JSON.stringify(id.slice(0, 40))}`);
        if (r.status !== 'received' || due(r) <= now()) {
          throw new LogwharfError('bad_request', 'deletion of request which is in process or already processed is not allowed: its cancel period has passed');
        }
        return cur.filter((x) => x !== r);
      });
      schedule();
    },
    idle() {
      return chain;
    },
  };
}
