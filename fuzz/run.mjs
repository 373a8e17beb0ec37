// `npm run fuzz [-- options] [target...]`: coverage-guided fuzzing of the parsers with Jazzer.js.
//
//   --time SECONDS   fuzzing time per target (default: $FUZZ_TIME or 60)
//   --runs N         stop each target after N inputs instead (libFuzzer's -runs)
//   --make-corpus    rewrite the seed corpus in fuzz/corpus/ from our encoder, then stop
//   -- ARGS          passed on to libFuzzer (e.g. -- -seed=1 -use_value_profile=1)
//   target...        some of: decode-request decode-response dictionary attribute-list (default: all)
//
// Targets run one after the other. Each reads its committed seeds (fuzz/corpus/<target>) and the
// inputs earlier runs found (build/fuzz-corpus/<target>, where new ones are written); a finding is
// written to build/fuzz-findings/<target>/ and makes the command fail. A summary table closes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TARGETS = ['decode-request', 'decode-response', 'dictionary', 'attribute-list'];

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const extra = dash >= 0 ? argv.slice(dash + 1) : [];
const args = dash >= 0 ? argv.slice(0, dash) : argv;
let time = Number(process.env.FUZZ_TIME ?? 60);
let runs;
let makeCorpus = false;
const chosen = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--time') time = Number(args[++i]);
  else if (a === '--runs') runs = Number(args[++i]);
  else if (a === '--make-corpus') makeCorpus = true;
  else if (TARGETS.includes(a)) chosen.push(a);
  else {
    console.error(`fuzz: unknown argument ${a}; targets are ${TARGETS.join(', ')}`);
    process.exit(2);
  }
}
if (!(time > 0) || (runs !== undefined && !(runs > 0))) {
  console.error('fuzz: --time and --runs take a positive number');
  process.exit(2);
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('sh', ['scripts/fuzz-setup.sh']);
// Jazzer.js 2.1 instruments CommonJS only (through require hooks): the targets and the code they
// reach are compiled to CommonJS for fuzzing.
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'fuzz/tsconfig.json']);
writeFileSync('build/fuzz-cjs/package.json', '{ "type": "commonjs" }\n');

if (makeCorpus) {
  run(process.execPath, ['build/fuzz-cjs/fuzz/make-corpus.js', 'fuzz/corpus']);
  process.exit(0);
}

const jazzer = 'fuzz/node_modules/@jazzer.js/core/dist/cli.js';
const results = [];
for (const target of chosen.length ? chosen : TARGETS) {
  const work = join('build/fuzz-corpus', target);
  const findings = join('build/fuzz-findings', target);
  mkdirSync(work, { recursive: true });
  mkdirSync(findings, { recursive: true });
  const libfuzzer = [
    runs === undefined ? `-max_total_time=${time}` : `-runs=${runs}`,
    '-max_len=4097',
    '-print_final_stats=1',
    `-artifact_prefix=${findings}/`,
    ...extra,
  ];
  const jazzerArgs = [
    jazzer,
    `build/fuzz-cjs/fuzz/targets/${target}.js`,
    work,
    join('fuzz/corpus', target),
    '--sync',
    '--timeout=10000',
    '-i',
    'build/fuzz-cjs/src/',
    '--',
    ...libfuzzer,
  ];
  console.log(`\nfuzz: ${target}: node ${jazzerArgs.join(' ')}`);
  const started = Date.now();
  // A private directory for a target that needs one (dictionary: its $INCLUDE root), removed here:
  // libFuzzer ends the process without running its exit handlers.
  const scratch = mkdtempSync(join(tmpdir(), `aioradius-fuzz-${target}-`));
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, jazzerArgs, {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, AIORADIUS_FUZZ_SCRATCH: scratch },
    });
    let tail = '';
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString()).slice(-20000);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, tail }));
  });
  rmSync(scratch, { recursive: true, force: true });
  const seconds = (Date.now() - started) / 1000;
  const stat = (key) => result.tail.match(new RegExp(`stat::${key}:\\s+(\\d+)`))?.[1];
  const lastLine = [...result.tail.matchAll(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/gm)].pop();
  results.push({
    target,
    status:
      result.code === 0 ? 'ok' : `FINDING (exit ${result.code}${result.signal ? ` ${result.signal}` : ''})`,
    inputs: Number(stat('number_of_executed_units') ?? lastLine?.[1] ?? 0),
    execsPerSecond: Number(stat('average_exec_per_sec') ?? 0),
    cov: Number(lastLine?.[2] ?? 0),
    ft: Number(lastLine?.[3] ?? 0),
    corpus: Number(lastLine?.[4] ?? 0),
    seconds: Math.round(seconds),
  });
}

mkdirSync('build', { recursive: true });
writeFileSync('build/fuzz-summary.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('\nfuzz: summary (also in build/fuzz-summary.json)');
console.table(results);
const failed = results.filter((r) => r.status !== 'ok');
if (failed.length) {
  console.error(`fuzz: findings in ${failed.map((r) => r.target).join(', ')}: see build/fuzz-findings/`);
}
console.log(`fuzz: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
