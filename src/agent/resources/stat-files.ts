/**
 * Parsers of the kernel files a container's resource figures come from (issue #16): cgroup v2
 * (`cpu.stat`, `memory.stat`, `io.stat`, `memory.max`), cgroup v1 (`cpuacct.stat`, `memory.stat`,
 * `blkio.throttle.io_service_bytes`) and `/proc/<pid>/net/dev`. Pure text in, numbers out; a file that
 * does not have the expected shape throws a MalformedStatError naming the file, so the caller skips
 * that one metric (and counts it) instead of reporting a wrong number.
 */

/** A stat file that is not what the kernel writes: the metric it feeds is skipped. */
export class MalformedStatError extends Error {
  override name = 'MalformedStatError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

const UINT = /^\d+$/;

function uint(file: string, text: string, what: string): number {
  if (!UINT.test(text)) throw new MalformedStatError(file, `${what} is not a non-negative integer: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** `key value` lines (cpu.stat, memory.stat, cpuacct.stat): every line must have that shape. */
export function parseFlatKeyed(file: string, text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2) throw new MalformedStatError(file, `line is not "key value": ${JSON.stringify(line.slice(0, 60))}`);
    out.set(parts[0]!, uint(file, parts[1]!, parts[0]!));
  }
  return out;
}

/** One named field of a flat-keyed file; missing is malformed (the kernel always writes it). */
export function field(file: string, fields: Map<string, number>, name: string): number {
  const v = fields.get(name);
  if (v === undefined) throw new MalformedStatError(file, `no ${name} field`);
  return v;
}

/** A file holding one number (memory.current, cpuacct.usage, memory.usage_in_bytes). */
export function parseSingle(file: string, text: string): number {
  return uint(file, text.trim(), 'the value');
}

/**
 * cgroup v2 `memory.max` (or v1 `memory.limit_in_bytes`): 0 means no limit, as cAdvisor reports an
 * unlimited container. v1 writes "no limit" as the largest page-aligned int64.
 */
export function parseMemoryLimit(file: string, text: string): number {
  const t = text.trim();
  if (t === 'max') return 0;
  const n = uint(file, t, 'the limit');
  return n >= 2 ** 62 ? 0 : n;
}

/** Bytes read and written over every device. */
export interface IoBytes {
  read: number;
  write: number;
}

/** cgroup v2 `io.stat`: one line per device, `MAJ:MIN rbytes=… wbytes=… rios=…`. */
export function parseIoStat(file: string, text: string): IoBytes {
  const out: IoBytes = { read: 0, write: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [dev, ...pairs] = line.trim().split(/\s+/);
    if (!/^\d+:\d+$/.test(dev!)) throw new MalformedStatError(file, `line does not start with a device MAJ:MIN: ${JSON.stringify(line.slice(0, 60))}`);
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new MalformedStatError(file, `"${pair.slice(0, 40)}" is not key=value`);
      const key = pair.slice(0, eq);
      if (key === 'rbytes') out.read += uint(file, pair.slice(eq + 1), key);
      else if (key === 'wbytes') out.write += uint(file, pair.slice(eq + 1), key);
    }
  }
  return out;
}

/** cgroup v1 `blkio.throttle.io_service_bytes`: `MAJ:MIN Read|Write|Sync|Async|Discard|Total N`, then `Total N`. */
export function parseBlkioServiceBytes(file: string, text: string): IoBytes {
  const out: IoBytes = { read: 0, write: 0 };
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === '') continue;
    if (parts.length === 2 && parts[0] === 'Total') {
      uint(file, parts[1]!, 'Total');
      continue;
    }
    if (parts.length !== 3 || !/^\d+:\d+$/.test(parts[0]!)) throw new MalformedStatError(file, `line is not "MAJ:MIN op bytes": ${JSON.stringify(line.slice(0, 60))}`);
    const n = uint(file, parts[2]!, parts[1]!);
    if (parts[1] === 'Read') out.read += n;
    else if (parts[1] === 'Write') out.write += n;
  }
  return out;
}

/** Bytes received and sent over every interface but loopback (traffic inside the container is not its network use). */
export interface NetBytes {
  receive: number;
  transmit: number;
}

/** `/proc/<pid>/net/dev`: two header lines, then `iface: rx_bytes rx_packets … (8 fields) tx_bytes …`. */
export function parseNetDev(file: string, text: string): NetBytes {
  const lines = text.split('\n');
  if (!lines[0]?.includes('Receive') || !lines[1]?.includes('bytes')) throw new MalformedStatError(file, 'no "Receive … Transmit" header');
  const out: NetBytes = { receive: 0, transmit: 0 };
  for (const line of lines.slice(2)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) throw new MalformedStatError(file, `line has no "interface:": ${JSON.stringify(line.slice(0, 60))}`);
    const iface = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    if (fields.length !== 16) throw new MalformedStatError(file, `interface ${iface} has ${fields.length} fields, not 16`);
    const rx = uint(file, fields[0]!, `${iface} receive bytes`);
    const tx = uint(file, fields[8]!, `${iface} transmit bytes`);
    if (iface === 'lo') continue;
    out.receive += rx;
    out.transmit += tx;
  }
  return out;
}
