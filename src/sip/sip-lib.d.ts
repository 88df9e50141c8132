// Types for the parts of npm `sip` 0.0.6 (CommonJS, untyped) that src/sip uses: the parser,
// the serializer, the transaction layer and the digest helper. Only what we call is declared.

declare module 'sip' {
  export interface SipUri {
    schema: string;
    user?: string;
    password?: string;
    host: string;
    /** NaN when absent. */
    port: number;
    params: Record<string, string | null>;
    headers: Record<string, string>;
  }
  export interface SipAor {
    name?: string;
    uri: string;
    params: Record<string, string | null>;
  }
  export interface SipVia {
    version?: string;
    protocol: string;
    host: string;
    port?: number;
    params: Record<string, string | number | null>;
  }
  export interface SipCSeq {
    seq: number;
    method: string;
  }
  /** A parsed Authorization / WWW-Authenticate value; quoted values keep their quotes. */
  export interface SipAuthHeader {
    scheme?: string;
    [param: string]: string | undefined;
  }
  export interface SipHeaders {
    via?: SipVia[];
    to?: SipAor;
    from?: SipAor;
    'call-id'?: string;
    cseq?: SipCSeq;
    contact?: SipAor[] | '*';
    'content-length'?: number;
    'content-type'?: string;
    authorization?: SipAuthHeader[];
    'proxy-authorization'?: SipAuthHeader[];
    'www-authenticate'?: SipAuthHeader[];
    'proxy-authenticate'?: SipAuthHeader[];
    [name: string]: unknown;
  }
  export interface SipMessage {
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    version?: string;
    headers: SipHeaders;
    content?: string;
  }
  /** What a transaction sends through (one flow to one remote). */
  export interface SipConnection {
    send(m: SipMessage): void;
    release(): void;
    protocol: string;
  }
  export interface ServerTransaction {
    send(m: SipMessage): void;
    message(m: SipMessage, remote?: unknown): void;
    shutdown(): void;
  }
  export interface ClientTransaction {
    message(m: SipMessage, remote?: unknown): void;
    shutdown(): void;
  }
  export interface TransactionLayer {
    createServerTransaction(rq: SipMessage, cn: SipConnection): ServerTransaction;
    createClientTransaction(cn: SipConnection, rq: SipMessage, callback: (rs: SipMessage) => void): ClientTransaction;
    getServer(m: SipMessage): ServerTransaction | undefined;
    getClient(m: SipMessage): ClientTransaction | undefined;
    destroy(): void;
  }
  interface Sip {
    /** Parses one datagram/message; undefined when it is not SIP. */
    parse(data: Buffer | string): SipMessage | undefined;
    stringify(m: SipMessage): string;
    makeResponse(rq: SipMessage, status: number, reason?: string, extension?: { headers?: Record<string, unknown>; content?: string }): SipMessage;
    parseUri(s: string): SipUri | undefined;
    stringifyUri(u: SipUri | string): string;
    generateBranch(): string;
    makeTransactionLayer(options: Record<string, unknown>, transport?: unknown): TransactionLayer;
  }
  const sip: Sip;
  export default sip;
}

declare module 'sip/digest.js' {
  import type { SipMessage } from 'sip';
  export interface DigestClientContext {
    [k: string]: unknown;
  }
  interface Digest {
    /** md5 of the arguments joined with ':' (hex). */
    kd(...parts: string[]): string;
    /** Adds Authorization (401) or Proxy-Authorization (407) answering `rs` to `rq`. */
    signRequest(ctx: DigestClientContext | null, rq: SipMessage, rs: SipMessage, creds: { user: string; password: string }): DigestClientContext | null;
  }
  const digest: Digest;
  export default digest;
}
