// SIP signalling for the B2BUA: one endpoint (UDP + TCP) with UAS/UAC dialogs, a registrar
// and the refusals an open port needs. Built on npm sip's parser, transactions and digest.
export { createSipEndpoint } from './endpoint.ts';
export { parseCidrs } from './cidr.ts';
export type { CidrSet } from './cidr.ts';
export type { IncomingCall, OutgoingCall, Registration, SipEndpoint, SipEndpointOptions, SipStats } from './types.ts';
