// Telephony on: a SIP endpoint, a media plane and the B2BUA joining them to the engines.
// `startTelephony` is what `vm serve --sip` (and `npm start`, on loopback) runs.
import { networkInterfaces } from 'node:os';
import type { MediaPlane, MediaPlaneOptions } from '../media/plane.ts';
import { createSipEndpoint, type SipEndpoint } from '../sip/index.ts';
import { B2bua, type B2buaOptions } from './b2bua.ts';
import { GatewayMonitor } from './gateway-monitor.ts';
import type { TelephonySettings } from './config.ts';
import { SIP_REALM } from '../directory/schema.ts';

export { B2bua, callerDigits } from './b2bua.ts';
export type { OperatorContact } from './b2bua.ts';
export * from './config.ts';
export { SipUsers } from './sip-users.ts';
export { OperatorContacts } from './contacts.ts';
export { GatewayMonitor, type GatewayHealth, type GatewayState } from './gateway-monitor.ts';

export interface TelephonyDeps extends Omit<B2buaOptions, 'sip' | 'media' | 'gateway' | 'gatewayAuth' | 'gatewayDown'> {
  /** SIP users (operators' phones) for REGISTER and authenticated INVITEs: their digest HA1. */
  sipUsers?: (username: string) => { ha1: string } | undefined;
  /** Builds the media plane (`--media node|rtpengine`). */
  media: (kind: TelephonySettings['media'], opts: MediaPlaneOptions & { cpus?: number[]; log?: B2buaOptions['log']; preload?: string[]; rtpengine?: { host: string; port: number }; rtpengineDtmf?: { host: string; port: number }; recordingDir?: string }) => Promise<MediaPlane>;
  /** Sound files the embedded media plane decodes as it starts (the built-ins). */
  preloadSounds?: string[];
  /** Where rtpengine spools recordings (inside the data directory). */
  recordingDir?: string;
}

/** SIP messages a second each trusted source (carrier, PBX, gateway) may send: ~1,500 calls/s. */
export const TRUSTED_SIP_RATE = 5000;

export interface Telephony {
  b2bua: B2bua;
  sip: SipEndpoint;
  media: MediaPlane;
  /** The outbound gateway (`--sip-gateway`) and its keep-alive, when one is set. */
  gateway?: { target: string; monitor?: GatewayMonitor };
  /** The address SIP listens on (its port when 0 was asked). */
  address(): { host: string; port: number };
  close(): Promise<void>;
}

/** This machine's first external (non-loopback) IPv4 address, if it has one. */
function firstExternalIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Interfaces werift (as Chromium) makes no host candidate on: VPN tunnels, VM and container links. */
const NO_ICE_INTERFACE = /^(ipsec|tun|utun|tap|vmnet|veth)/;

/**
 * Where browsers on this machine can do ICE with our WebRTC legs: its first external IPv4
 * on an interface werift advertises candidates for (`vm demo`'s default --webrtc-address).
 */
export function webRtcHostAddress(): string | undefined {
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (NO_ICE_INTERFACE.test(name)) continue;
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** The address put in SDP: the SIP host, or this machine's first external IPv4 when SIP listens everywhere. */
export function mediaAddress(sipHost: string): string {
  if (sipHost !== '0.0.0.0' && sipHost !== '::' && sipHost !== '') return sipHost;
  return firstExternalIpv4() ?? '127.0.0.1';
}

export async function startTelephony(settings: TelephonySettings, deps: TelephonyDeps): Promise<Telephony> {
  let b2bua: B2bua | undefined;
  const media = await deps.media(settings.media, {
    events: { dtmf: (leg, digit) => b2bua?.dtmf(leg, digit) },
    address: mediaAddress(settings.sip.host),
    ...(settings.webrtcAddress ? { webrtcAddress: settings.webrtcAddress } : {}),
    ports: settings.rtpPorts,
    ...(settings.mediaCpus ? { cpus: settings.mediaCpus } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.preloadSounds ? { preload: deps.preloadSounds } : {}),
    ...(settings.rtpengine ? { rtpengine: settings.rtpengine } : {}),
    ...(settings.rtpengineDtmf ? { rtpengineDtmf: settings.rtpengineDtmf } : {}),
    ...(deps.recordingDir ? { recordingDir: deps.recordingDir } : {}),
  });
  let sip: SipEndpoint;
  try {
    sip = await createSipEndpoint({
      host: settings.sip.host,
      port: settings.sip.port,
      trust: settings.trust,
      // A carrier or the gateway sends every call from one address (~3 messages per call):
      // at the default 100 a second they would be held to ~30 calls/s, and past it their
      // INVITEs dropped and retransmitted (bench/README.md, sip).
      ratePerTrustedSource: TRUSTED_SIP_RATE,
      realm: SIP_REALM,
      ...(deps.sipUsers ? { users: deps.sipUsers } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    });
  } catch (err) {
    await media.stop();
    throw err;
  }
  // Keep-alive OPTIONS to the gateway: while it answers none, legs to it fail at once.
  const monitor = settings.gateway && settings.gatewayPingMs ? new GatewayMonitor({ gateway: settings.gateway, options: (t, ms) => sip.options(t, ms), intervalMs: settings.gatewayPingMs, ...(deps.log ? { log: deps.log } : {}) }) : undefined;
  b2bua = new B2bua({
    ...deps,
    sip,
    media,
    ...(settings.gateway ? { gateway: settings.gateway } : {}),
    ...(settings.gatewayAuth ? { gatewayAuth: settings.gatewayAuth } : {}),
    ...(monitor ? { gatewayDown: () => monitor.down } : {}),
  });
  const b = b2bua;
  monitor?.start();
  return {
    b2bua: b,
    sip,
    media,
    ...(settings.gateway ? { gateway: { target: settings.gateway, ...(monitor ? { monitor } : {}) } } : {}),
    address: () => sip.address(),
    async close() {
      monitor?.stop();
      await b.close();
      await sip.close();
      await media.stop();
    },
  };
}
