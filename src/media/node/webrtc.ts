// A WebRTC leg's far side in the embedded plane: werift (pure TypeScript WebRTC, 0.24.x for
// Node 20) terminates ICE, DTLS-SRTP and rtcp-mux for a browser softphone, and hands over
// the decrypted PCMU RTP of the browser / takes ours, so the engine relays it to plain RTP
// legs like any other leg, without transcoding (PCMU only is offered). It runs in the media
// worker with the rest of the media: its crypto and ICE timers (~0.8 % of a core per leg)
// stay off the fan-out's event loop, and the bridge to a plain leg is a function call, not
// a hop through another socket. werift is loaded on the first WebRTC leg only.
//
// ICE listens on the media address only (or the WebRTC address, --webrtc-address), on one
// UDP port: the odd port right above the leg's even RTP port (the plain legs use even ports
// only; on a WebRTC address of its own, the leg's even port number there), so the plane's
// --rtp-ports range is all a firewall must open for softphones too. werift advertises a host
// candidate only for an address among the machine's non-loopback interfaces (as a browser:
// none on loopback); on 127.0.0.1 it binds there but advertises another address, which a
// browser reaches only by luck (peer-reflexive checks): hence --webrtc-address. Host candidates only: a browser
// that reaches the media address directly (LAN, VPN) or through its own NAT (we answer
// from where its checks come: ICE is symmetric); no STUN/TURN here (see docs/TELEPHONY.md).
import { MediaError } from '../plane.ts';
import { sdpVersion, webRtcReanswer } from '../webrtc-sdp.ts';

type Werift = typeof import('werift');
let werift: Promise<Werift> | undefined;

/** Longest we wait for werift to gather its candidates (it has only host ones: instant). */
const GATHER_MS = 5000;

export interface WebRtcSide {
  /** Our offer or answer (ICE candidates included: SIP carries no trickle). */
  readonly sdp: string;
  /** The browser's answer. @throws MediaError MEDIA_BAD_SDP */
  answered(sdp: string): Promise<void>;
  /** Our answer to the browser's new offer (hold, resume) on the same transport. @throws MediaError */
  reanswer(offer: string): string;
  /** Sends one RTP packet (PCMU) to the browser, once DTLS is up (dropped before). */
  send(packet: Buffer): void;
  close(): void;
}

/**
 * Our WebRTC offer on `address`, ICE on the odd port above `rtpPort` (werift scans its range
 * from the bottom: the leg's own even port is bound, so it takes the next); `onRtp` gets every
 * RTP packet the browser sends.
 */
export function webRtcOffer(address: string, rtpPort: number, onRtp: (packet: Buffer) => void): Promise<WebRtcSide> {
  return webRtcSide(address, rtpPort, onRtp);
}

/**
 * Our WebRTC answer to a browser's offer (a browser calling in: the demo's phone page), on
 * the same ports as an offer. @throws MediaError MEDIA_BAD_SDP when werift refuses the offer
 */
export async function webRtcAnswer(address: string, rtpPort: number, offerSdp: string, onRtp: (packet: Buffer) => void): Promise<WebRtcSide> {
  return webRtcSide(address, rtpPort, onRtp, offerSdp);
}

async function webRtcSide(address: string, rtpPort: number, onRtp: (packet: Buffer) => void, remoteOffer?: string): Promise<WebRtcSide> {
  const w = await (werift ??= import('werift'));
  const pc = new w.RTCPeerConnection({
    codecs: { audio: [new w.RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
    iceInterfaceAddresses: { udp4: address },
    icePortRange: [rtpPort, rtpPort + 1],
    iceUseIpv6: false,
  });
  const track = new w.MediaStreamTrack({ kind: 'audio' });
  // Added before an offer is applied, the transceiver takes the offer's audio section (werift
  // matches a transceiver without mid by kind).
  const transceiver = pc.addTransceiver(track, { direction: 'sendrecv' });
  transceiver.onTrack.subscribe((remote) => {
    remote.onReceiveRtp.subscribe((rtp) => onRtp(rtp.serialize()));
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    void pc.close().catch(() => undefined);
  };
  if (remoteOffer !== undefined) {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: remoteOffer });
    } catch (e) {
      close();
      throw new MediaError('MEDIA_BAD_SDP', `The WebRTC offer was refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  try {
    await pc.setLocalDescription(remoteOffer === undefined ? await pc.createOffer() : await pc.createAnswer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new MediaError('MEDIA_NO_PORT', 'WebRTC gathered no ICE candidate in time.')), GATHER_MS);
        pc.iceGatheringStateChange.subscribe((s) => {
          if (s !== 'complete') return;
          clearTimeout(t);
          resolve();
        });
      });
    }
  } catch (e) {
    close();
    throw e instanceof MediaError ? e : new MediaError('MEDIA_NO_PORT', `WebRTC could not start: ${e instanceof Error ? e.message : String(e)}`);
  }
  const sdp = pc.localDescription?.sdp;
  if (!sdp) {
    close();
    throw new MediaError('MEDIA_NO_PORT', `WebRTC made no ${remoteOffer === undefined ? 'offer' : 'answer'}.`);
  }
  // What the browser's side of the first exchange settled, for re-answers (hold, resume).
  // Answering, we chose the DTLS role: their side is the other one (their offer said actpass).
  let theirs: string | undefined;
  let version = 0;
  if (remoteOffer !== undefined) {
    const ours = /^a=setup:(active|passive)\s*$/m.exec(sdp)?.[1];
    theirs = ours ? remoteOffer.replace(/^a=setup:\w+/gm, `a=setup:${ours === 'active' ? 'passive' : 'active'}`) : remoteOffer;
    version = sdpVersion(sdp);
  }
  return {
    sdp,
    async answered(answer) {
      try {
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      } catch (e) {
        throw new MediaError('MEDIA_BAD_SDP', `The WebRTC answer was refused: ${e instanceof Error ? e.message : String(e)}`);
      }
      theirs = answer;
      version = sdpVersion(sdp);
    },
    reanswer(offer) {
      if (theirs === undefined) throw new MediaError('MEDIA_BAD_SDP', 'The WebRTC leg is not established yet.');
      return webRtcReanswer(sdp, theirs, offer, ++version);
    },
    send(packet) {
      if (!closed) track.writeRtp(packet);
    },
    close,
  };
}
