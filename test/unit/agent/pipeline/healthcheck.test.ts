/**
 * The ready-made health-check rule: what a user turning on `drop_healthchecks` loses (probe and
 * load-balancer noise in the access-log formats people run) and what they must keep (failed probes,
 * errors, and lines that merely talk about health).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHealthcheck } from '../../../../src/agent/pipeline/healthcheck.js';
import { compilePipeline } from '../../../../src/agent/pipeline/pipeline.js';
import { agentConfigSchema } from '../../../../src/config/agent.js';

const DROPPED = [
  // nginx combined, kubelet probe
  '10.244.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"',
  // Apache common log format, HEAD
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "HEAD /ready HTTP/1.0" 200 -',
  // query string
  '10.0.0.5 - - [23/Nov/2026:12:00:01 +0000] "GET /health?full=1&x=2 HTTP/1.1" 204 0 "-" "curl/8.4.0"',
  // uvicorn
  'INFO:     10.244.0.1:52344 - "GET /readyz HTTP/1.1" 200 OK',
  // morgan dev
  'GET /ping 200 0.512 ms - 4',
  // Gin
  '[GIN] 2026/11/23 - 12:00:00 | 200 |      25.1µs |     10.244.0.1 | GET      "/livez"',
  // nginx JSON access log
  '{"time":"2026-11-23T12:00:00+00:00","remote_addr":"10.0.0.1","request_method":"GET","request_uri":"/healthz","status":"200","http_user_agent":"kube-probe/1.29"}',
  // Caddy JSON (nested request, GCP load balancer)
  '{"level":"info","ts":1763899200.1,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"35.191.0.1","method":"GET","uri":"/health","headers":{"User-Agent":["GoogleHC/1.0"]}},"status":200}',
  // Traefik JSON
  '{"ClientHost":"10.0.0.1","RequestMethod":"GET","RequestPath":"/ping","DownstreamStatus":200,"Duration":120000}',
  // logfmt access log
  'ts=2026-11-23T12:00:00Z level=info method=GET path=/healthz status=200 duration=1.2ms',
  // logfmt with quoted values and a query
  'ts=2026-11-23T12:00:00Z msg="request" method="HEAD" uri="/readyz?verbose" status=200',
  // only the user agent says it: an AWS target-group check
  'request from 10.0.0.1 user_agent="ELB-HealthChecker/2.0" took 1ms',
  // GCP load balancer on the root path
  '10.0.0.9 - - [23/Nov/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "GoogleHC/1.0"',
  // Envoy access log
  '[2026-11-23T12:00:00.000Z] "GET /healthz HTTP/1.1" 200 - 0 2 1 0 "-" "kube-probe/1.29" "6f1c" "svc" "127.0.0.1:8080"',
  // absolute URL in a JSON field
  '{"method":"GET","url":"http://10.0.0.1:8080/healthz","status_code":200,"latency":"1ms"}',
  // a JSON request field
  '{"level":"info","request":"GET /livez HTTP/2.0","status":200}',
];

const KEPT = [
  'Checking health of database: ok',
  'level=info msg="health check endpoint registered" path=/healthz',
  '[GIN-debug] GET    /healthz                  --> main.setupRouter.func1 (3 handlers)',
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "GET /healthcare/patients HTTP/1.1" 200 1432',
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "GET /api/ping HTTP/1.1" 200 4',
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "POST /healthz HTTP/1.1" 200 2',
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "GET /health/db HTTP/1.1" 200 2',
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "GET /readyz-dashboard HTTP/1.1" 200 2',
  // failed probes are not noise
  '10.244.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /healthz HTTP/1.1" 503 19 "-" "kube-probe/1.29"',
  '{"level":"warn","msg":"request","method":"GET","path":"/ready","status":503}',
  '[GIN] 2026/11/23 - 12:00:00 | 500 |      25.1µs |     10.244.0.1 | GET      "/healthz"',
  'GET /ping 404 0.2 ms - 9',
  // an error in the health handler, even from a probe
  'level=error msg="health handler panicked" user_agent="kube-probe/1.29" err="nil pointer"',
  'Readiness probe failed: HTTP probe failed with statuscode: 500',
  'INFO Started application; health endpoint at http://0.0.0.0:8080/healthz',
  'User searched for "GET /healthz"',
  '10.0.0.5 - - [23/Nov/2026:12:00:00 +0000] "GET /static/kube-probe.png HTTP/1.1" 200 812',
  'PING 10.0.0.1 (10.0.0.1): 56 data bytes',
];

test('drop_healthchecks drops probe and load-balancer lines in common access-log formats', () => {
  for (const line of DROPPED) assert.equal(isHealthcheck(line), true, `should be dropped: ${line}`);
});

test('drop_healthchecks keeps failed probes, errors, other paths and methods, and lines that only mention health', () => {
  for (const line of KEPT) assert.equal(isHealthcheck(line), false, `should be kept: ${line}`);
});

test('the rule only runs when turned on, and dropped lines are counted as healthcheck', () => {
  const lines = [...DROPPED, ...KEPT].map((line, i) => ({ ts: BigInt(i + 1), line, stream: 'stdout' as const }));
  const off = compilePipeline(agentConfigSchema.parse({ host: 'h' }).pipeline)({ container: 'web' }).process(lines);
  assert.equal(off.lines, lines.length);
  assert.equal(off.dropped.size, 0);
  const on = compilePipeline(agentConfigSchema.parse({ host: 'h', pipeline: { drop_healthchecks: true } }).pipeline)({ container: 'web' });
  const out = on.process(lines);
  assert.equal(out.dropped.get('healthcheck'), DROPPED.length);
  assert.deepEqual(
    out.streams.flatMap((s) => s.entries.map((e) => e.line)),
    KEPT,
  );
});

test('hostile lines cost one linear pass', () => {
  const huge = '"GET /healthz' + ' '.repeat(2_000_000) + 'x';
  const t0 = Date.now();
  assert.equal(isHealthcheck(huge), false);
  assert.equal(isHealthcheck('/health'.repeat(200_000)), false);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
});
