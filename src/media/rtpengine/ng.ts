// The NG control protocol of rtpengine (bencode over UDP), through npm `rtpengine-client`:
// one typed call, bounded by a timeout, every failure a MediaError.

import { createRequire } from 'node:module';
import { MediaError } from '../plane.ts';

/** A value of an NG message (bencode: strings, integers, lists, dictionaries). */
export type NgValue = string | number | NgValue[] | { [key: string]: NgValue | undefined };
export type NgMessage = { [key: string]: NgValue | undefined };

interface RawClient {
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
  [command: string]: unknown;
}
type ClientCtor = new (opts: { timeout: number; rejectOnError: boolean }) => RawClient;

// rtpengine-client ships CommonJS without types.
const require = createRequire(import.meta.url);
const { Client } = require('rtpengine-client') as { Client: ClientCtor };

/** The NG command names `rtpengine-client` exposes as methods. */
const METHODS = {
  ping: 'ping',
  offer: 'offer',
  answer: 'answer',
  delete: 'delete',
  query: 'query',
  'start recording': 'startRecording',
  'stop recording': 'stopRecording',
  'block media': 'blockMedia',
  'unblock media': 'unblockMedia',
  'block DTMF': 'blockDTMF',
  'unblock DTMF': 'unblockDTMF',
  'play media': 'playMedia',
  'stop media': 'stopMedia',
  'play DTMF': 'playDTMF',
  statistics: 'statistics',
} as const;
export type NgCommand = keyof typeof METHODS;

export class NgClient {
  readonly #client: RawClient;
  readonly #host: string;
  readonly #port: number;

  /** @param ng "host:port" of rtpengine's `--listen-ng` */
  constructor(ng: string, timeoutMs = 5_000) {
    const i = ng.lastIndexOf(':');
    this.#host = ng.slice(0, i);
    this.#port = Number(ng.slice(i + 1));
    if (i <= 0 || !Number.isInteger(this.#port) || this.#port <= 0 || this.#port > 65535) {
      throw new MediaError('MEDIA_UNAVAILABLE', `bad rtpengine address ${ng} (want HOST:PORT)`);
    }
    this.#client = new Client({ timeout: timeoutMs, rejectOnError: true });
    // a late or stray answer is reported here; the request it belongs to already failed
    this.#client.on('error', () => {});
  }

  /** Sends one command; resolves with rtpengine's answer. @throws MediaError MEDIA_UNAVAILABLE */
  async send(command: NgCommand, params: NgMessage): Promise<NgMessage> {
    const method = this.#client[METHODS[command]] as (port: number, host: string, p: NgMessage) => Promise<NgMessage>;
    try {
      return await method.call(this.#client, this.#port, this.#host, params);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new MediaError('MEDIA_UNAVAILABLE', `rtpengine ${command}: ${reason}`);
    }
  }

  close(): void {
    this.#client.close();
  }
}
