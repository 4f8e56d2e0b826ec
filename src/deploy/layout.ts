/**
 * Where things are inside the image and the pods: one place, shared by every builder and checked
 * against the Dockerfile by test/unit/deploy/dockerfile.test.ts, so a path cannot differ between them.
 */
/** The package's home in the image (Dockerfile: WORKDIR /app). */
export const APP_DIR = '/app';
/** The `logwharf` launcher: `agent` runs with the small V8 heap (bin/logwharf, docs/agent.md "Memory"). */
export const LAUNCHER = `${APP_DIR}/bin/logwharf`;
/** The image's non-root user and group (Dockerfile: useradd --uid 10001). */
export const RUN_AS = 10001;
export const SERVER_PORT = 3100;
/** The agent's /metrics, /ready and /sources (its metrics_listen). */
export const AGENT_PORT = 3101;
export const CONFIG_DIR = '/etc/logwharf';
export const SERVER_CONFIG = `${CONFIG_DIR}/server.yaml`;
export const AGENT_CONFIG = `${CONFIG_DIR}/agent.yaml`;
export const TLS_DIR = `${CONFIG_DIR}/tls`;
export const TOKEN_DIR = `${CONFIG_DIR}/token`;
/** The token /metrics needs when the values' prometheus.metrics_token is on (the server's auth.metrics_token_file). */
export const METRICS_TOKEN_FILE = `${CONFIG_DIR}/metrics-token/token`;
export const DATA_DIR = '/var/lib/logwharf';
/** Host directories the agent reads: the kubelet's pod logs, its symlinks, and Docker's json-file logs they point to on Docker nodes. */
export const HOST_LOG_DIRS = ['/var/log/pods', '/var/log/containers', '/var/lib/docker/containers'] as const;
export const DOCKER_SOCKET = '/var/run/docker.sock';
