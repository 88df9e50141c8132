// Telephony settings as `vm serve` takes them (flags and their VM_* environment twins),
// checked when read so a typo is an error at start, not a silent refusal of every call.
import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';

export type MediaKind = 'node' | 'rtpengine';

export interface TelephonySettings {
  /** Where SIP listens (UDP and TCP). */
  sip: { host: string; port: number };
  /** Where legs to e164 numbers go, `sip:HOST:PORT`; none: such legs fail. */
  gateway?: string;
  /**
   * Keep-alive OPTIONS to the gateway every this many ms (down after 3 unanswered: legs to
   * e164 numbers fail at once until it answers again); 0 or absent: none. `vm serve`
   * sets 30 s when a gateway is given (--sip-gateway-ping).
   */
  gatewayPingMs?: number;
  /** Digest credentials for the gateway when it challenges (env VM_SIP_GATEWAY_AUTH=user:password only: no secret on a command line). */
  gatewayAuth?: { username: string; password: string };
  /** Sources allowed to send INVITE without credentials (carriers, PBXs). */
  trust: string[];
  media: MediaKind;
  /** rtpengine's NG control address (`--media rtpengine`); none: we start one (Debian's rtpengine-daemon). */
  rtpengine?: { host: string; port: number };
  /** Where we hear an external rtpengine's DTMF reports (its `--dtmf-log-dest`). */
  rtpengineDtmf?: { host: string; port: number };
  rtpPorts: { min: number; max: number };
  /** CPUs of the embedded media plane's worker thread (`--media-cpu`); none: where the process runs. */
  mediaCpus?: number[];
  /** SIP over WebSocket for browser softphones, on the HTTP server's port at `path` (`--sip-ws`). */
  ws?: { path: string };
  /**
   * Where WebRTC legs (browsers) do ICE when not on the media address (`--webrtc-address`,
   * embedded plane): browsers gather no loopback candidate, so SIP and plain RTP on 127.0.0.1
   * need a LAN address here for a browser on the same machine.
   */
  webrtcAddress?: string;
}

export const DEFAULT_SIP_PORT = 5060;
/** Seconds between keep-alive OPTIONS to the gateway by default. */
export const DEFAULT_GATEWAY_PING_S = 30;
export const DEFAULT_RTP_PORTS = { min: 20_000, max: 29_999 };
/** Without --sip-trust, only this machine may place calls without credentials. */
export const DEFAULT_SIP_TRUST = ['127.0.0.0/8', '::1/128'];

export class SettingError extends Error {}

/** `HOST:PORT`, `[v6]:PORT` or `HOST` (default port). */
export function parseHostPort(v: string, defaultPort?: number): { host: string; port: number } {
  const t = v.trim();
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(t) ?? /^([^:\s]+)(?::(\d+))?$/.exec(t);
  if (!m) throw new SettingError(`expected HOST:PORT, got ${JSON.stringify(v)}`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new SettingError(`expected HOST:PORT with a port 0-65535, got ${JSON.stringify(v)}`);
  return { host: m[1]!, port };
}

/** `sip:HOST[:PORT]` (a SIP URI without user part). */
export function parseGateway(v: string): string {
  const t = v.trim();
  const m = /^sips?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(;[^\s]*)?$/.exec(t);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) throw new SettingError(`expected a gateway such as sip:10.0.0.5:5060, got ${JSON.stringify(v)}`);
  return t;
}

/** A comma-separated list of addresses or CIDRs, each checked. */
export function parseCidrs(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new SettingError('expected comma-separated addresses or CIDRs such as 192.0.2.0/24');
  const probe = new BlockList();
  for (const item of list) {
    const [addr, bits, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    const n = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(n) || n < 0 || n > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new SettingError(`${JSON.stringify(item)} is not an address or CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)`);
    }
    probe.addSubnet(addr!, n, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** `MIN-MAX`: an even-sized range of at least 2 ports above 1023. */
export function parsePortRange(v: string): { min: number; max: number } {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(v);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1024 || max > 65535 || max - min < 1) throw new SettingError(`expected a port range such as 20000-29999 (1024-65535), got ${JSON.stringify(v)}`);
  return { min, max };
}

/**
 * A CPU list as taskset takes it (`1`, `2,3`, `0-3`), each CPU one this machine has: a
 * typo is an error at start, not a worker left where it was.
 */
export function parseCpuList(v: string, cpus = availableParallelism()): number[] {
  const out = new Set<number>();
  for (const part of v.split(',').map((p) => p.trim())) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || hi < lo) throw new SettingError(`expected CPUs such as 1, 2,3 or 0-3, got ${JSON.stringify(v)}`);
    if (hi >= cpus) throw new SettingError(`CPU ${hi} does not exist: this machine has CPUs 0-${cpus - 1}`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** `--sip-ws [path]` / VM_SIP_WS: on (`1`, `true`, bare flag: /sip) or a path; off for 0/false/empty. */
export function parseWsPath(v: string | boolean | undefined): string | undefined {
  if (v === undefined || v === false) return undefined;
  const t = v === true ? '1' : v.trim();
  if (t === '' || t === '0' || t.toLowerCase() === 'false') return undefined;
  if (t === '1' || t.toLowerCase() === 'true') return '/sip';
  if (!/^\/[A-Za-z0-9._~\/-]{1,64}$/.test(t) || t.startsWith('/socket.io')) throw new SettingError(`expected a path such as /sip for SIP over WebSocket, got ${JSON.stringify(v)}`);
  return t;
}

/** Seconds between keep-alive OPTIONS: 0 (off) or 5-3600. */
export function parsePingSeconds(v: string): number {
  const n = Number(v.trim());
  if (!/^\s*\d{1,4}\s*$/.test(v) || (n !== 0 && (n < 5 || n > 3600))) throw new SettingError(`expected seconds between gateway OPTIONS, 0 (off) or 5-3600, got ${JSON.stringify(v)}`);
  return n;
}

/** An IPv4 address of this machine's for WebRTC's ICE (`--webrtc-address`). */
export function parseIpv4(v: string): string {
  const t = v.trim();
  if (isIP(t) !== 4) throw new SettingError(`expected an IPv4 address such as 192.168.1.20, got ${JSON.stringify(v)}`);
  return t;
}

export function parseMedia(v: string): MediaKind {
  if (v === 'node' || v === 'rtpengine') return v;
  throw new SettingError(`expected node or rtpengine, got ${JSON.stringify(v)}`);
}

/** Flags first, then the environment (VM_SIP, VM_SIP_GATEWAY, VM_SIP_GATEWAY_AUTH, VM_SIP_GATEWAY_PING, VM_SIP_TRUST, VM_SIP_WS, VM_MEDIA, VM_RTPENGINE, VM_RTPENGINE_DTMF, VM_RTP_PORTS, VM_MEDIA_CPU, VM_WEBRTC_ADDRESS). */
export function telephonySettings(
  flags: { sip?: string; sipGateway?: string; sipGatewayPing?: string; sipTrust?: string; sipWs?: string | boolean; media?: string; rtpengine?: string; rtpengineDtmf?: string; rtpPorts?: string; mediaCpu?: string; webrtcAddress?: string },
  env: NodeJS.ProcessEnv = process.env,
): TelephonySettings | undefined {
  const sip = flags.sip ?? env.VM_SIP;
  if (!sip) return undefined;
  const media = parseMedia(flags.media ?? env.VM_MEDIA ?? 'node');
  const ng = flags.rtpengine ?? env.VM_RTPENGINE;
  const gateway = flags.sipGateway ?? env.VM_SIP_GATEWAY;
  const trust = flags.sipTrust ?? env.VM_SIP_TRUST;
  const ports = flags.rtpPorts ?? env.VM_RTP_PORTS;
  const dtmf = flags.rtpengineDtmf ?? env.VM_RTPENGINE_DTMF;
  const mediaCpu = flags.mediaCpu ?? env.VM_MEDIA_CPU;
  const ping = flags.sipGatewayPing ?? env.VM_SIP_GATEWAY_PING;
  const gwAuth = env.VM_SIP_GATEWAY_AUTH;
  const webrtc = flags.webrtcAddress ?? env.VM_WEBRTC_ADDRESS;
  const wsPath = parseWsPath(flags.sipWs ?? env.VM_SIP_WS);
  const colon = gwAuth ? gwAuth.indexOf(':') : -1;
  if (gwAuth !== undefined && gwAuth !== '' && colon <= 0) throw new SettingError('VM_SIP_GATEWAY_AUTH must be user:password');
  if (ng && !dtmf) throw new SettingError('--rtpengine HOST:PORT needs --rtpengine-dtmf ADDR:PORT, where that rtpengine sends its DTMF reports (its --dtmf-log-dest)');
  if (mediaCpu && media !== 'node') throw new SettingError('--media-cpu places the embedded media plane (--media node); place rtpengine with taskset');
  return {
    sip: parseHostPort(sip, DEFAULT_SIP_PORT),
    ...(gateway ? { gateway: parseGateway(gateway), gatewayPingMs: (ping ? parsePingSeconds(ping) : DEFAULT_GATEWAY_PING_S) * 1000 } : {}),
    ...(gwAuth && colon > 0 ? { gatewayAuth: { username: gwAuth.slice(0, colon), password: gwAuth.slice(colon + 1) } } : {}),
    trust: trust ? parseCidrs(trust) : DEFAULT_SIP_TRUST,
    media,
    ...(ng ? { rtpengine: parseHostPort(ng) } : {}),
    ...(dtmf ? { rtpengineDtmf: parseHostPort(dtmf) } : {}),
    rtpPorts: ports ? parsePortRange(ports) : DEFAULT_RTP_PORTS,
    ...(mediaCpu ? { mediaCpus: parseCpuList(mediaCpu) } : {}),
    ...(wsPath ? { ws: { path: wsPath } } : {}),
    ...(webrtc ? { webrtcAddress: parseIpv4(webrtc) } : {}),
  };
}
