// Telephony settings: every flag and its environment twin is checked when read, so a typo
// stops `vm serve` with a sentence instead of refusing every call.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlockList } from 'node:net';
import {
  DEFAULT_RTP_PORTS,
  DEFAULT_SIP_TRUST,
  SettingError,
  parseCidrs,
  parseCpuList,
  parseGateway,
  parseHostPort,
  parsePortRange,
  telephonySettings,
  parsePingSeconds,
} from '../src/telephony/config.ts';

describe('telephony settings', () => {
  it('is off without --sip or VM_SIP', () => {
    expect(telephonySettings({}, {})).toBeUndefined();
  });

  it('reads flags before the environment, with defaults', () => {
    const s = telephonySettings({ sip: '127.0.0.1:5070' }, { VM_SIP: '0.0.0.0:5060', VM_SIP_GATEWAY: 'sip:10.0.0.5:5060' });
    expect(s).toEqual({ sip: { host: '127.0.0.1', port: 5070 }, gateway: 'sip:10.0.0.5:5060', gatewayPingMs: 30_000, trust: DEFAULT_SIP_TRUST, media: 'node', rtpPorts: DEFAULT_RTP_PORTS });
    // Keep-alive OPTIONS to the gateway: 30 s by default, the flag before VM_SIP_GATEWAY_PING, 0 for none.
    expect(telephonySettings({ sip: '127.0.0.1:5060', sipGateway: 'sip:10.0.0.5', sipGatewayPing: '10' }, { VM_SIP_GATEWAY_PING: '60' })!.gatewayPingMs).toBe(10_000);
    expect(telephonySettings({ sip: '127.0.0.1:5060', sipGateway: 'sip:10.0.0.5' }, { VM_SIP_GATEWAY_PING: '0' })!.gatewayPingMs).toBe(0);
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, { VM_SIP_GATEWAY_PING: '10' })!.gatewayPingMs).toBeUndefined();
    const e = telephonySettings({}, { VM_SIP: '[::1]:5062', VM_SIP_TRUST: '192.0.2.0/24,2001:db8::/32', VM_MEDIA: 'rtpengine', VM_RTPENGINE: '127.0.0.1:2223', VM_RTPENGINE_DTMF: '127.0.0.1:2224', VM_RTP_PORTS: '30000-30999' });
    expect(e).toEqual({ sip: { host: '::1', port: 5062 }, trust: ['192.0.2.0/24', '2001:db8::/32'], media: 'rtpengine', rtpengine: { host: '127.0.0.1', port: 2223 }, rtpengineDtmf: { host: '127.0.0.1', port: 2224 }, rtpPorts: { min: 30000, max: 30999 } });
    // --media rtpengine alone: we start rtpengine ourselves.
    expect(telephonySettings({ sip: '127.0.0.1:5060', media: 'rtpengine' }, {})).toMatchObject({ media: 'rtpengine' });
    expect(telephonySettings({ sip: 'pbx.example.com' }, {})!.sip).toEqual({ host: 'pbx.example.com', port: 5060 });
    // The gateway's credentials come from the environment only, split at the first colon.
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, { VM_SIP_GATEWAY_AUTH: 'trunk-7:pa:ss' })!.gatewayAuth).toEqual({ username: 'trunk-7', password: 'pa:ss' });
    expect(() => telephonySettings({ sip: '127.0.0.1:5060' }, { VM_SIP_GATEWAY_AUTH: 'nopassword' })).toThrow(/user:password/);
  });

  it('--webrtc-address / VM_WEBRTC_ADDRESS: an IPv4 address for browsers\' ICE, flag first; none by default', () => {
    expect(telephonySettings({ sip: '127.0.0.1:5060', webrtcAddress: '192.168.1.20' }, { VM_WEBRTC_ADDRESS: '10.0.0.9' })!.webrtcAddress).toBe('192.168.1.20');
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, { VM_WEBRTC_ADDRESS: ' 10.0.0.9 ' })!.webrtcAddress).toBe('10.0.0.9');
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, {})!.webrtcAddress).toBeUndefined();
    for (const bad of ['lan', '::1', '10.0.0', '10.0.0.256']) expect(() => telephonySettings({ sip: '127.0.0.1:5060', webrtcAddress: bad }, {}), bad).toThrow(/expected an IPv4 address/);
  });

  it('--sip-ws / VM_SIP_WS: SIP over WebSocket at /sip, or a path of its own; never Socket.IO\'s', () => {
    expect(telephonySettings({ sip: '127.0.0.1:5060', sipWs: true }, {})!.ws).toEqual({ path: '/sip' });
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, { VM_SIP_WS: '1' })!.ws).toEqual({ path: '/sip' });
    expect(telephonySettings({ sip: '127.0.0.1:5060', sipWs: '/phones/ws' }, {})!.ws).toEqual({ path: '/phones/ws' });
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, { VM_SIP_WS: '0' })!.ws).toBeUndefined();
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, {})!.ws).toBeUndefined();
    expect(() => telephonySettings({ sip: '127.0.0.1:5060', sipWs: '/socket.io/x' }, {})).toThrow(/path such as \/sip/);
    expect(() => telephonySettings({ sip: '127.0.0.1:5060', sipWs: 'sip' }, {})).toThrow(SettingError);
  });

  it('refuses what it cannot use, naming it', () => {
    expect(() => telephonySettings({ sip: '1.2.3.4:5060', media: 'rtpengine', rtpengine: '10.0.0.9:2223' }, {})).toThrow(/--rtpengine-dtmf ADDR:PORT/);
    expect(() => telephonySettings({ sip: '1.2.3.4:5060', media: 'asterisk' }, {})).toThrow(/node or rtpengine/);
    expect(() => parseHostPort('1.2.3.4:99999')).toThrow(SettingError);
    expect(() => parseHostPort('a b:1')).toThrow(/HOST:PORT/);
    expect(() => parseGateway('http://x')).toThrow(/sip:10.0.0.5:5060/);
    for (const bad of ['2', '3601', '-5', '1.5', 'often', '']) expect(() => parsePingSeconds(bad), bad).toThrow(/0 \(off\) or 5-3600/);
    expect(parsePingSeconds(' 45 ')).toBe(45);
    expect(() => parseGateway('sip:host:70000')).toThrow(SettingError);
    expect(parseGateway('sip:[2001:db8::1]:5080')).toBe('sip:[2001:db8::1]:5080');
    expect(() => parseCidrs('10.0.0.0/33')).toThrow(/not an address or CIDR/);
    expect(() => parseCidrs('10.0.0.0/8/1')).toThrow(SettingError);
    expect(() => parseCidrs('example.com')).toThrow(SettingError);
    expect(() => parseCidrs(' , ')).toThrow(/comma-separated/);
    expect(() => parsePortRange('80-90')).toThrow(/1024-65535/);
    expect(() => parsePortRange('30000-30000')).toThrow(SettingError);
  });

  it('reads the media worker’s CPUs (--media-cpu, VM_MEDIA_CPU) as taskset lists them, for the embedded plane only', () => {
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, {})).not.toHaveProperty('mediaCpus');
    expect(telephonySettings({ sip: '127.0.0.1:5060' }, { VM_MEDIA_CPU: '0' })!.mediaCpus).toEqual([0]);
    expect(telephonySettings({ sip: '127.0.0.1:5060', mediaCpu: '0' }, { VM_MEDIA_CPU: 'x' })!.mediaCpus).toEqual([0]);
    expect(parseCpuList('5,2-3, 3', 8)).toEqual([2, 3, 5]);
    expect(() => parseCpuList('8', 8)).toThrow(/CPU 8 does not exist: this machine has CPUs 0-7/);
    for (const bad of ['', 'one', '3-1', '1,', '-1', '1.5']) expect(() => parseCpuList(bad, 8)).toThrow(/CPUs such as 1, 2,3 or 0-3/);
    expect(() => telephonySettings({ sip: '127.0.0.1:5060', media: 'rtpengine', mediaCpu: '0' }, {})).toThrow(/embedded media plane/);
  });

  it('takes every valid CIDR and refuses every prefix too long for its family', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 40 }), (ip, bits) => {
        const ok = bits <= 32;
        if (ok) {
          expect(parseCidrs(`${ip}/${bits}`)).toEqual([`${ip}/${bits}`]);
          // What we accept, node's BlockList (what the SIP side matches with) accepts too.
          expect(() => new BlockList().addSubnet(ip, bits, 'ipv4')).not.toThrow();
        } else expect(() => parseCidrs(`${ip}/${bits}`)).toThrow(SettingError);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 140 }), (ip, bits) => {
        if (bits <= 128) expect(parseCidrs(`${ip}/${bits}`)).toHaveLength(1);
        else expect(() => parseCidrs(`${ip}/${bits}`)).toThrow(SettingError);
      }),
    );
  });

  it('parses any host and port it prints', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.domain()), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        expect(parseHostPort(`${host}:${port}`)).toEqual({ host, port });
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        expect(parseHostPort(`[${host}]:${port}`)).toEqual({ host, port });
      }),
    );
  });
});
