/**
 * Alertmanager identifies an alert by the fingerprint of its label set: FNV-1a (64 bit) over the
 * sorted names and values, each followed by the byte 0xff, printed as 16 hex digits. Using the same
 * function keeps our fingerprints equal to a real Alertmanager's for the same labels, so a user who
 * moves between the two sees the same ids (and amtool/Grafana links keep working).
 */
import type { Labels } from '../api/model.js';

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEP = 0xff;

export function fingerprint(labels: Labels): string {
  let h = OFFSET;
  const step = (b: number) => {
    h ^= BigInt(b);
    h = (h * PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const b of Buffer.from(name, 'utf8')) step(b);
    step(SEP);
    for (const b of Buffer.from(labels[name]!, 'utf8')) step(b);
    step(SEP);
  }
  return h.toString(16).padStart(16, '0');
}
