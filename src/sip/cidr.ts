// Trust lists of CIDRs (IPv4 and IPv6) on node:net's BlockList; IPv4-mapped IPv6 sources
// (::ffff:a.b.c.d, what a dual-stack socket reports) are matched as their IPv4 address.
import { BlockList, isIP } from 'node:net';

export interface CidrSet {
  has(address: string): boolean;
}

/** Strips an IPv4-mapped prefix and a zone id, so one source has one spelling. */
export function normalizeAddress(address: string): string {
  const noZone = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(noZone);
  return m ? m[1]! : noZone;
}

/** Parses `a.b.c.d/n`, `v6::/n` or a plain address; throws on anything else (a config error). */
export function parseCidrs(list: readonly string[]): CidrSet {
  const block = new BlockList();
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const addr = normalizeAddress(slash < 0 ? entry : entry.slice(0, slash));
    const family = isIP(addr);
    if (family === 0) throw new Error(`not an IP address or CIDR: ${JSON.stringify(raw)}`);
    const max = family === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) throw new Error(`bad prefix length in ${JSON.stringify(raw)}`);
    block.addSubnet(addr, Number(prefixText), family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    has(address) {
      const a = normalizeAddress(address);
      const family = isIP(a);
      if (family === 0) return false;
      return block.check(a, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
