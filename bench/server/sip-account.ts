// The account of the sip benchmark: one group (no recording: it measures calls, not disks)
// whose operators are phones behind the gateway (an e164 each, 336000010000 + i), and a
// number routed straight to the group (no IVR).
export const SIP_ACCOUNT = 91;
export const SIP_SERVICE = '33100000091';

export function benchAccount(operators: number): object {
  return {
    account: { id: SIP_ACCOUNT, name: 'SIP bench' },
    groups: [{ id: 911, name: 'Lines', strategy: 'longest-idle', ring_timeout: 20 }],
    operators: Array.from({ length: operators }, (_, i) => ({ id: 1000 + i, name: `Op ${i}`, groups: [911], e164: String(336000010000 + i) })),
    numbers: [{ id: 9101, name: 'Lines', service: SIP_SERVICE, route: { type: 'group', id: 911 } }],
    api_users: [{ login: 'bench-api', password: 'bench-secret' }],
  };
}
