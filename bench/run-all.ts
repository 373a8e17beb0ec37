/**
 * Runs the codec benchmark, the server benchmark, the `serve` benchmark, then the RADIUS/TLS
 * benchmark, and prints their tables (`npm run bench`). Arguments: `[rounds] [seconds] [inflight]`
 * for the server benchmark (default 3 5 256); the serve and TLS benchmarks take the same rounds and
 * seconds with their own in-flight defaults.
 */
import { formatCodecResults, runCodecBench } from './codec.bench.js';
import { describeServeBench, formatServeResults, runServeBench } from './serve.bench.js';
import { formatServerResults, runServerBench } from './server.bench.js';
import { describeTlsBench, formatTlsResults, runTlsBench } from './tls.bench.js';

async function main(): Promise<void> {
  const [rounds = 3, seconds = 5, inflight = 256] = process.argv.slice(2, 5).map(Number);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  console.log('\n== codec: ops/s, median of 5 rounds, aioradius vs npm radius 1.1.4 ==');
  const codec = runCodecBench({ rounds: 5, runMs: 400 });
  console.log(formatCodecResults(codec));
  console.log(
    `\n== server: Access-Requests/s (PAP + Message-Authenticator), median of ${rounds} rounds x ${seconds} s, ` +
      `${inflight} in flight ==`,
  );
  const server = await runServerBench({ rounds, seconds, inflight, log: (l) => console.log(l) });
  console.log(formatServerResults(server));
  const serveOptions = { rounds, seconds, inflight: 128, acctInflight: 512, logLevel: 'warn', metrics: true };
  console.log(`\n== ${describeServeBench(serveOptions)} ==`);
  const serve = await runServeBench({ ...serveOptions, log: (l) => console.log(l) });
  console.log(formatServeResults(serve));
  const tlsOptions = { rounds, seconds };
  console.log(`\n== ${describeTlsBench(tlsOptions)} ==`);
  const tls = await runTlsBench({ ...tlsOptions, log: (l) => console.log(l) });
  console.log(formatTlsResults(tls));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
