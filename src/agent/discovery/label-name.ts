/**
 * Container and pod label names as stream label names: every character outside [a-zA-Z0-9_] becomes
 * `_`, and a leading digit gets a `_` before it (com.docker.compose.service → com_docker_compose_service).
 */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}
