/**
 * Sets of client addresses written as IPs and CIDR ranges (`10.0.0.5`, `10.1.0.0/16`, `::1`,
 * `fd00::/8`), as proxy mode's `auth.proxy.trusted_proxies` lists them. Matching is node's
 * `net.BlockList`, which also matches an IPv4-mapped IPv6 peer (`::ffff:10.0.0.5`, what a dual-stack
 * listener reports for IPv4 clients) against IPv4 ranges.
 */
import { BlockList, isIP } from 'node:net';

export interface AddressRanges {
  /** Whether `address` (a socket's remoteAddress) is in one of the ranges; false for anything else. */
  has(address: string): boolean;
  readonly size: number;
}

/** Why `text` is not an IP or CIDR range, or undefined when it is one. */
export function addressRangeProblem(text: string): string | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  const family = m ? isIP(m[1]!) : 0;
  if (!m || family === 0) return `"${text.slice(0, 100)}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.1.0.0/16, fd00::/8)`;
  const max = family === 4 ? 32 : 128;
  if (m[2] !== undefined && Number(m[2]) > max) return `"${text.slice(0, 100)}": the prefix length of an IPv${family} range is 0-${max}`;
  return undefined;
}

/** The set of `list`; throws on the first entry that is not an IP or CIDR range. */
export function addressRanges(list: readonly string[]): AddressRanges {
  const block = new BlockList();
  for (const entry of list) {
    const problem = addressRangeProblem(entry);
    if (problem) throw new Error(problem);
    const [addr, prefix] = entry.trim().split('/');
    const type = isIP(addr!) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) block.addAddress(addr!, type);
    else block.addSubnet(addr!, Number(prefix), type);
  }
  return {
    size: list.length,
    has(address) {
      const family = isIP(address);
      if (family === 0) return false;
      return block.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
