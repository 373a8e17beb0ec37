/**
 * Proxy benchmark: PAP Access-Requests for alice@example.com per second through
 *   - aioradius: RadiusProxy on createRadiusServer (bench/proxy-server.ts),
 *   - aioradius serve with a `proxy:` section (realm example.com → the same home server),
 *   - FreeRADIUS 3.2 as a proxy (proxy.conf: realm example.com → one home server),
 * both forwarding to the same home server (bench/proxy-server.ts without `home`, its own process),
 * with the same load generator (bench/loadgen.ts). Rounds rotate the order; medians are reported.
 *
 * Run: `node build/bench/proxy.bench.js [rounds] [seconds] [inflight]` after `npm run build:test`.
 */
import { fileURLToPath } from 'node:url';
import { findBinary, startFreeradius } from '../test/helpers/peers.js';
import { runRounds } from './rounds.js';
import { startServeProcess } from './serve.bench.js';
import { type BenchServerOptions, isMain, startServerProcess } from './server-process.js';
import { fmtInt, fmtRatio, table } from './stats.js';

const NAS_SECRET = 'b3nchm4rk-nas';
const HOME_SECRET = 'b3nchm4rk-home';
const SIDE = fileURLToPath(new URL('proxy-server.js', import.meta.url));

function freeradiusProxyConf(homePort: number): string {
  return `proxy server {
\tdefault_fallback = no
}
home_server bench_home {
\ttype = auth
\tipaddr = 127.0.0.1
\tport = ${homePort}
\tsecret = ${HOME_SECRET}
\tresponse_window = 20
\tstatus_check = none
\tmax_outstanding = 65536
}
home_server_pool bench_pool {
\ttype = fail-over
\thome_server = bench_home
}
realm example.com {
\tauth_pool = bench_pool
}
realm LOCAL {
}
`;
}

async function main(): Promise<void> {
  const [rounds = 3, seconds = 5, inflight = 256] = process.argv.slice(2, 5).map(Number);
  console.log(
    `proxy benchmark: ${rounds} rounds x ${seconds} s per proxy (after 1 s warm-up), ${inflight} in flight, ` +
      `PAP alice@example.com, one home server (node ${process.version})`,
  );
  const homeOptions: BenchServerOptions = { secret: HOME_SECRET, user: 'alice', password: 'alicepw' };
  const home = await startServerProcess(SIDE, homeOptions);
  const stops: Array<() => Promise<void>> = [() => home.stop()];
  try {
    const ours = await startServerProcess(SIDE, {
      secret: NAS_SECRET,
      user: 'alice',
      password: 'alicepw',
      home: { port: home.port, secret: HOME_SECRET },
    });
    stops.push(() => ours.stop());
    const serve = await startServeProcess({
      secret: NAS_SECRET,
      metrics: false,
      extraYaml: [
        'proxy:',
        '  homeServers:',
        `    - { name: home, host: 127.0.0.1, auth: ${home.port}, secret: ${HOME_SECRET} }`,
        '  pools:',
        '    - { name: p, servers: [home] }',
        '  realms:',
        '    - { name: example.com, pool: p }',
      ].join('\n'),
    });
    stops.push(() => serve.dispose());
    const targets = [
      { name: 'aioradius', label: 'aioradius RadiusProxy', port: ours.port, pids: [ours.pid] },
      { name: 'serve', label: 'aioradius serve (proxy:)', port: serve.authPort, pids: [serve.pid] },
    ];
    if (findBinary('freeradius')) {
      const fr = await startFreeradius({ secret: NAS_SECRET, proxyConf: freeradiusProxyConf(home.port) });
      stops.push(() => fr.stop());
      targets.push({
        name: 'freeradius',
        label: 'FreeRADIUS 3.2 as a proxy',
        port: fr.authPort,
        pids: [fr.pid],
      });
    } else console.log('skipped freeradius: not installed');
    const results = await runRounds(
      targets.map((t) => ({
        name: t.name,
        label: t.label,
        pids: t.pids,
        load: {
          port: t.port,
          secret: NAS_SECRET,
          user: 'alice@example.com',
          password: 'alicepw',
          inflight,
          seconds,
          warmupSeconds: 1,
        },
      })),
      rounds,
      (l) => console.log(l),
    );
    console.log(
      table([
        ['proxy', 'median req/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/req', 'timeouts', 'bad'],
        ...results.map((r) => [
          r.label,
          fmtInt(r.medianRps),
          r.rounds.map((x) => fmtInt(x.rps)).join(' / '),
          r.medianP50ms.toFixed(2),
          r.medianP99ms.toFixed(2),
          r.medianCpuUs.toFixed(1),
          String(r.timeouts),
          String(r.bad),
        ]),
      ]),
    );
    const by = (n: string) => results.find((r) => r.name === n)?.medianRps ?? Number.NaN;
    console.log(`aioradius / FreeRADIUS (proxied req/s): ${fmtRatio(by('aioradius') / by('freeradius'))}`);
    console.log(`serve / FreeRADIUS (proxied req/s): ${fmtRatio(by('serve') / by('freeradius'))}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

if (isMain(import.meta.url))
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
