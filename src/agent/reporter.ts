/**
 * Reports the agent's sources to the server's registry (issue #4 §5) every interval and once at
 * close, that last one marked `stopping`. Loki has no such endpoint: a 404 or 405 turns reporting off with one log line, so the agent
 * ships to a Loki cluster unchanged. Other failures are logged (at most once per minute) and retried
 * at the next interval; reporting never holds up shipping.
 */
import { SOURCES_PATH, type SourceReport, type SourceStatus } from '../api/sources.js';
import type { Logger } from '../util/logger.js';

export interface ReporterOptions {
  url: string;
  intervalMs: number;
  agent: SourceReport['agent'];
  sources: () => SourceStatus[];
  /** POSTs a JSON body to a path on the server (with the shipper's auth, tenant and TLS). */
  post: (path: string, body: Buffer) => Promise<{ status: number; body: string }>;
  log: Logger;
}

export interface Reporter {
  start(): void;
  /** Sends a last report, then stops. */
  close(): Promise<void>;
  /** Sends a report now (tests, and the first report right after start). */
  reportNow(): Promise<void>;
  readonly disabled: boolean;
}

const ERROR_LOG_EVERY_MS = 60_000;

export function createReporter(opts: ReporterOptions): Reporter {
  let timer: NodeJS.Timeout | undefined;
  let disabled = false;
  let inFlight: Promise<void> | undefined;
  let lastErrorLog = 0;

  /** `stopping`: the last report of a clean shutdown, so the server shows the sources stopped, not stale. */
  async function send(stopping = false): Promise<void> {
    if (disabled) return;
    const report: SourceReport = { agent: opts.agent, sources: opts.sources(), ...(stopping ? { stopping: true } : {}) };
    try {
      const res = await opts.post(SOURCES_PATH, Buffer.from(JSON.stringify(report)));
      if (res.status === 404 || res.status === 405) {
        disabled = true;
        opts.log.info({ status: res.status }, 'the server has no sources registry (e.g. Loki); source reporting is off');
      } else if (res.status >= 300) {
        throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      }
    } catch (e) {
      if (Date.now() - lastErrorLog >= ERROR_LOG_EVERY_MS) {
        lastErrorLog = Date.now();
        opts.log.warn({ err: (e as Error).message }, 'cannot report sources; will retry');
      }
    }
  }

  function tick(): Promise<void> {
    inFlight ??= send().finally(() => (inFlight = undefined));
    return inFlight;
  }

  return {
    get disabled() {
      return disabled;
    },
    start() {
      void tick();
      timer = setInterval(() => void tick(), opts.intervalMs);
      timer.unref();
    },
    reportNow: tick,
    async close() {
      clearInterval(timer);
      await inFlight;
      await send(true);
    },
  };
}
