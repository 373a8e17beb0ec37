// A UDP relay in front of RADIUS servers that keeps each login on one server and sends the next
// login to the next server, as a NAS failing over between servers does: every request goes to the
// current server, and once that server's Access-Accept or Access-Reject (the end of a login) is
// relayed, the next request goes to the next one. With `eapol_test -r 1` the first login then lands
// on one instance and the re-authentication, whole, on another. For one client at a time.
import dgram from 'node:dgram';
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../../src/protocol/codes.js';

/** A running relay. */
export interface LoginRelay {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Logins ended by each server (in the order given), so far. */
  logins: number[];
  close(): Promise<void>;
}

function bound(socket: dgram.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket.address().port));
  });
}

/** Starts a relay to the servers on 127.0.0.1 at `ports`, the first login to the first. */
export async function startLoginRelay(ports: number[]): Promise<LoginRelay> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  const logins = ports.map(() => 0);
  let current = 0;
  let client: dgram.RemoteInfo | undefined;
  front.on('message', (request, from) => {
    client = from;
    back.send(request, ports[current], '127.0.0.1');
  });
  back.on('message', (reply, from) => {
    // A late answer of a server whose login is over is dropped, as a NAS would.
    if (!client || from.port !== ports[current]) return;
    if (reply[0] === ACCESS_ACCEPT || reply[0] === ACCESS_REJECT) {
      logins[current]++;
      current = (current + 1) % ports.length;
    }
    front.send(reply, client.port, client.address);
  });
  const [port] = await Promise.all([bound(front), bound(back)]);
  return {
    port,
    logins,
    close: async () => {
      await Promise.all([front, back].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
