/**
 * The two sides of the proxy benchmark, each in a process of its own: with `home` in the options,
 * a RadiusProxy forwarding realm example.com (stripped) to that home server; without, the home
 * server itself (PAP, one user; Message-Authenticator not required, as FreeRADIUS 3.2.1 as a
 * proxy may not add one).
 */
import { ACCESS_ACCEPT, ACCESS_REJECT } from '../src/protocol/codes.js';
import { RadiusProxy } from '../src/proxy/radius-proxy.js';
import { createRadiusServer } from '../src/server/create-server.js';
import { type BenchServer, type BenchServerOptions, isMain, serveAsChild } from './server-process.js';

/** Starts the home server, or (with `o.home`) the proxy in front of it. */
export async function startProxyBenchSide(o: BenchServerOptions): Promise<BenchServer> {
  const home = o.home;
  if (home === undefined) {
    const server = createRadiusServer(
      '127.0.0.1',
      {
        secret: o.secret,
        auth: (attributes) =>
          attributes.get('User-Name') === o.user && attributes.get('User-Password') === o.password
            ? [[['Reply-Message', 'home']], ACCESS_ACCEPT]
            : [[], ACCESS_REJECT],
      },
      { authPort: 0, requireMessageAuthenticator: false, limitProxyState: false },
    );
    const info = await server.start();
    return { port: info.authPort as number, close: () => server.close() };
  }
  const proxy = new RadiusProxy({
    homeServers: [{ name: 'home', host: '127.0.0.1', auth: home.port, secret: home.secret }],
    pools: [{ name: 'p', servers: ['home'] }],
    realms: [{ name: 'example.com', pool: 'p' }],
    // As many in flight to the home server as the load generator keeps at the proxy.
    maxInFlight: 1024,
  });
  const server = createRadiusServer(
    '127.0.0.1',
    { secret: o.secret, auth: (attributes, context) => proxy.handleAuth(attributes, context) },
    { authPort: 0 },
  );
  const info = await server.start();
  return {
    port: info.authPort as number,
    close: async () => {
      await proxy.close();
      await server.close();
    },
  };
}

if (isMain(import.meta.url)) serveAsChild(startProxyBenchSide);
