// Small pure helpers over SIP text: target URIs (with IPv6 brackets, which npm sip's parseUri
// lacks), user parts, tags and ids, DTMF bodies of INFO, content types.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

export type Transport = 'udp' | 'tcp' | 'ws';

export interface Target {
  user: string | undefined;
  host: string;
  port: number;
  transport: Transport;
}

/** `sip:[user@]host[:port][;params]` → where to send; undefined when it is not such a URI. */
export function parseTarget(uri: string): Target | undefined {
  const m = /^sips?:(?:([^@;?]*)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?((?:;[^?]*)?)(?:\?.*)?$/.exec(uri.trim());
  if (!m) return undefined;
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  if (m[2]!.startsWith('[') && isIP(host) !== 6) return undefined;
  const port = m[3] ? Number(m[3]) : 5060;
  if (port < 1 || port > 65535) return undefined;
  const t = /;transport=(tcp|wss?)(?:;|$)/i.exec(m[4] ?? '')?.[1]?.toLowerCase();
  const transport = t === 'tcp' ? 'tcp' : t === 'ws' || t === 'wss' ? 'ws' : 'udp';
  return { user: m[1] || undefined, host, port, transport };
}

/** A host as written in a URI or Via (IPv6 in brackets). */
export function uriHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The user part of a sip:, sips: or tel: URI (as sent), '' when there is none. */
export function userOf(uri: string | undefined): string {
  if (!uri) return '';
  const m = /^(?:sips?:([^@;?>]*)@|tel:([^;?>]*))/i.exec(uri.trim());
  const user = m ? (m[1] ?? m[2] ?? '') : '';
  return user.length > 128 ? user.slice(0, 128) : user;
}

/** Random token for tags, Call-IDs and branches (RFC 3261 wants ≥ 32 bits of randomness). */
export function token(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export const newBranch = (): string => `z9hG4bK${token(8)}`;

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: unknown): string {
  return typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '';
}

const DIGIT = /^[0-9*#A-Da-d]$/;

/**
 * The digit of an INFO body: application/dtmf-relay (`Signal=5`, some phones send 10/11 for * and #)
 * or application/dtmf (`5`); undefined when the body carries none.
 */
export function dtmfOfInfo(contentType: unknown, body: string | undefined): string | undefined {
  const type = mediaType(contentType);
  const text = (body ?? '').slice(0, 1024);
  let d: string | undefined;
  if (type === 'application/dtmf-relay') d = /(?:^|\r?\n)\s*Signal\s*=\s*(\S+)/i.exec(text)?.[1];
  else if (type === 'application/dtmf') d = text.trim();
  else return undefined;
  if (d === '10') d = '*';
  if (d === '11') d = '#';
  return d !== undefined && DIGIT.test(d) ? d.toUpperCase() : undefined;
}
