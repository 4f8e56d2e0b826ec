/**
 * Putting pushed data both in sealed blocks and in the in-memory head. A seal takes a stream's whole
 * head once it reaches storage.block_target_bytes, in the background: push the bulk, wait (on the
 * server's own gauges, never for time) until it is sealed, then push a tail smaller than one block,
 * which stays in the head.
 */
import assert from 'node:assert/strict';
import { waitFor } from '../../helpers/wait-for.js';

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function push(url: string, labels: Record<string, string>, values: [string, string][]): Promise<void> {
  const res = await fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: labels, values }] }),
  });
  assert.equal(res.status, 204, (await res.text()).slice(0, 300));
}

/** Pushes all but the last `headCount` values, waits until they are sealed, then pushes the rest. */
export async function pushSealedThenHead(url: string, labels: Record<string, string>, values: [string, string][], headCount: number): Promise<void> {
  await push(url, labels, values.slice(0, values.length - headCount));
  await waitFor('the pushed heads sealed into blocks', async () => {
    const text = await (await fetch(url + '/metrics')).text();
    return metric(text, 'logwharf_store_blocks_sealed_total') > 0 && metric(text, 'logwharf_store_head_bytes') === 0;
  });
  await push(url, labels, values.slice(values.length - headCount));
}
