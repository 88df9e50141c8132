// Client addresses as the auth rules count them: one spelling per client, and the source
// (network) a throttle or rate limit counts an address against.
import { isIPv6 } from 'node:net';

/** `::ffff:127.0.0.1` and `127.0.0.1` are the same client. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/**
 * The source an address counts as: an IPv4 address, or the /64 network of an IPv6 one
 * (one host is usually given a whole /64, so single IPv6 addresses are free to rotate).
 */
export function sourceOf(address: string): string {
  // An IPv4-mapped address is its IPv4 client, not a share of the ::ffff:0:0/96 block.
  const ip = normalizeIp(address);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
