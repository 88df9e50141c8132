// The embedded media plane (RTP in Node, in a worker thread) against the media plane's
// contract: real UDP far ends on loopback (test/media/contract.ts).
import { NodeMediaPlane } from '../src/media/node/index.ts';
import { eventLog, mediaContract, testPorts } from './media/contract.ts';

mediaContract('embedded (Node worker)', async (opts) => {
  const events = eventLog();
  const plane = new NodeMediaPlane({ events: events.handlers, address: '127.0.0.1', ports: opts?.ports ?? testPorts(64) });
  return { plane, events };
});
