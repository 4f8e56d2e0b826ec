/**
 * The ruler across a real server restart and a rule deletion through Loki's ruler API: a firing
 * alert is still firing after the restart with the same activeAt and startsAt, is not re-sent before
 * the resend delay, and is sent resolved when its group is deleted.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RecordingAlertSink } from '../helpers/ruler-stand-ins.js';
import { waitFor } from '../helpers/wait-for.js';
import { removeDir, startServer, tempDir, type RunningServer } from './helpers/server.js';

const dir = tempDir('ruler-restart-');
let srv: RunningServer | undefined;

after(async () => {
  await srv?.close();
  removeDir(dir);
});

const GROUP = `
name: errors
interval: 1s
rules:
  - alert: ErrorsSeen
    expr: sum by (job) (count_over_time({job="restart"} |= "error" [10m])) > 0
    annotations:
      summary: '{{ $labels.job }} logs errors'
`;

async function alerts(s: RunningServer): Promise<Array<{ labels: Record<string, string>; state: string; activeAt: string }>> {
  const res = await fetch(s.url + '/prometheus/api/v1/alerts');
  return ((await res.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string; activeAt: string }> } }).data.alerts;
}

async function lastEvaluation(s: RunningServer): Promise<string> {
  const res = await fetch(s.url + '/prometheus/api/v1/rules');
  return ((await res.json()) as { data: { groups: Array<{ lastEvaluation: string }> } }).data.groups[0]!.lastEvaluation;
}

test('a firing alert survives a restart unchanged and is resolved when its group is deleted', async () => {
  const sink1 = new RecordingAlertSink();
  srv = await startServer({ data: dir }, { ruler: { alerts: sink1 } });
  const post = await fetch(srv.url + '/loki/api/v1/rules/team', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: GROUP });
  assert.equal(post.status, 202);
  const push = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { job: 'restart' }, values: [[(BigInt(Date.now()) * 1_000_000n).toString(), 'level=error x']] }] }),
  });
  assert.equal(push.status, 204);
  const sent = await waitFor('the alert sent', () => sink1.all()[0]);
  const [before] = await alerts(srv);
  assert.equal(before!.state, 'firing');
  await srv.close();
  assert.equal(sink1.sent.length, 1, 'stopping the server resolved nothing');

  const sink2 = new RecordingAlertSink();
  srv = await startServer({ data: dir }, { ruler: { alerts: sink2 } });
  assert.deepEqual(await alerts(srv), [before], 'firing at once after the restart, same activeAt');
  // Two evaluations later: still firing, the same alert, not re-sent within the resend delay (1m).
  const first = await waitFor('an evaluation after the restart', async () => {
    const t = await lastEvaluation(srv!);
    return t !== '0001-01-01T00:00:00Z' && t;
  });
  await waitFor('a second evaluation', async () => (await lastEvaluation(srv!)) > first);
  assert.deepEqual(await alerts(srv), [before]);
  assert.equal(sink2.sent.length, 0);

  const del = await fetch(srv.url + '/loki/api/v1/rules/team/errors', { method: 'DELETE' });
  assert.equal(del.status, 202);
  const resolved = await waitFor('the resolution sent', () => sink2.all()[0]);
  assert.deepEqual(resolved.labels, sent.labels);
  assert.equal(resolved.startsAt, sent.startsAt);
  assert.ok(Date.parse(resolved.endsAt!) <= Date.now(), 'endsAt is the resolution time, not in the future');
  assert.deepEqual(await alerts(srv), []);
});
