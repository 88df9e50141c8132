// A UDP port free right now on an address (for a control port of a process we start).
import dgram from 'node:dgram';

export function freeUdpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', reject);
    sock.bind(0, address, () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}
