// deploy/: the systemd unit passes `systemd-analyze verify` with no diagnostic about it, and the
// Dockerfile copies files that exist, runs unprivileged, checks health with a Status-Server, and
// starts with a config that works in the image (no Docker daemon here: the Dockerfile is parsed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ClientTable, loadConfig } from '../../src/cli/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const UNIT = path.join(ROOT, 'deploy/aioradius.service');
const DOCKERFILE = path.join(ROOT, 'deploy/Dockerfile');
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;

/** The instructions of the Dockerfile's last stage (continuation lines joined), in order. */
function runtimeStage(text: string): Array<{ op: string; args: string }> {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const from = lines.findLastIndex((l) => l.startsWith('FROM '));
  return lines
    .slice(from)
    .filter((l) => /^[A-Z]+ /.test(l))
    .map((l) => {
      const [, op, args] = /^([A-Z]+) (.*)$/.exec(l) as RegExpExecArray;
      return { op, args: args.trim() };
    });
}

describe('deploy/', () => {
  test('systemd unit: systemd-analyze verify reports nothing about it; reload sends SIGHUP', {
    skip: hasSystemd ? false : 'skipped: systemd-analyze is not installed (Debian package systemd)',
  }, () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // Warnings about other units on the machine are theirs; none may name ours.
    const ours = r.stderr.split('\n').filter((l) => l.includes('aioradius.service'));
    assert.deepEqual(ours, []);
    const unit = readFileSync(UNIT, 'utf8');
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(unit, /^ExecStart=.* serve --config \/etc\/aioradius\/aioradius\.yaml$/m);
  });

  test('Dockerfile: two stages, files it copies exist, non-root, Status-Server healthcheck', () => {
    const text = readFileSync(DOCKERFILE, 'utf8');
    assert.equal((text.match(/^FROM /gm) ?? []).length, 2);
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) assert.ok(existsSync(path.join(ROOT, src)), `COPY ${src}`);
    }
    assert.match(text, /^USER node$/m);
    assert.match(text, /^HEALTHCHECK .*\n.*send 127\.0\.0\.1 status/m);
    assert.match(text, /^ENTRYPOINT \["node", "dist\/cli\/main\.js", "serve"\]$/m);
  });

  test('Dockerfile: its production install has better-sqlite3 (a dev dependency here, which --omit=dev dropped)', async () => {
    // The build stage's install commands, run as written (scripts off, the npm cache first; the
    // native rebuild is left out: it needs a compiler and is better-sqlite3's own business).
    const text = readFileSync(DOCKERFILE, 'utf8').replace(/\\\n/g, ' ');
    const run = text.split('\n').find((l) => l.startsWith('RUN ') && l.includes('npm ci --omit=dev'));
    assert.ok(run, 'a RUN with npm ci --omit=dev');
    const steps = run
      .slice(4)
      .split('&&')
      .map((c) => c.trim())
      .filter((c) => c.startsWith('npm ') && !c.startsWith('npm run') && !c.startsWith('npm rebuild'))
      .map((c) => (/^npm (ci|install)\b/.test(c) ? `${c} --prefer-offline --ignore-scripts` : c));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-image-'));
    try {
      copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(dir, 'package-lock.json'));
      for (const step of steps) {
        const r = spawnSync('sh', ['-c', step], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
        assert.equal(r.status, 0, `${step}\n${r.stderr}`);
      }
      assert.ok(
        existsSync(path.join(dir, 'node_modules', 'better-sqlite3', 'package.json')),
        'better-sqlite3',
      );
      assert.ok(existsSync(path.join(dir, 'node_modules', 'pg', 'package.json')), 'a production dependency');
      assert.ok(!existsSync(path.join(dir, 'node_modules', 'typescript')), 'no development dependency');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Dockerfile: the config it starts with listens on every address and writes where user node may', () => {
    const stage = runtimeStage(readFileSync(DOCKERFILE, 'utf8'));
    const at = (op: string, match: RegExp) => stage.findIndex((i) => i.op === op && match.test(i.args));
    // The config the CMD names is the one a COPY puts there.
    const cmd = stage.find((i) => i.op === 'CMD');
    const configPath = (JSON.parse(cmd?.args ?? '[]') as string[]).at(-1) as string;
    assert.equal(configPath, '/etc/aioradius/aioradius.yaml');
    const copy = stage.find((i) => i.op === 'COPY' && i.args.endsWith(` ${configPath}`));
    assert.ok(copy, `no COPY to ${configPath}`);
    const source = copy.args.split(/\s+/)[0];
    assert.notEqual(
      source,
      'examples/aioradius.yaml',
      "the loopback quick start's config is not the image's",
    );
    const config = loadConfig(path.join(ROOT, source));

    // Published ports reach only a server listening on the container's addresses.
    assert.ok(['0.0.0.0', '::'].includes(config.listen.host), `listen.host ${config.listen.host}`);
    // The database: an absolute path (a relative one would land in root-owned /etc/aioradius) in a
    // directory made and given to node before USER node, and kept in the volume.
    assert.ok(path.isAbsolute(config.database), config.database);
    const dir = path.posix.dirname(config.database);
    assert.notEqual(dir, path.posix.dirname(configPath));
    const escaped = dir.replace(/[/.]/g, '\\$&');
    const made = at('RUN', new RegExp(`mkdir -p ${escaped}( |$)`));
    const chowned = at('RUN', new RegExp(`chown (-R )?node(:node)? ${escaped}( |$)`));
    const user = at('USER', /^node$/);
    assert.ok(made >= 0 && chowned >= 0, `no RUN makes ${dir} and gives it to node`);
    assert.ok(made < user && chowned < user, `${dir} is made and chowned before USER node`);
    assert.ok(at('VOLUME', new RegExp(`"${escaped}"`)) >= 0, `${dir} is a VOLUME`);
    // The health check's Status-Server comes from 127.0.0.1 with HEALTHCHECK_SECRET.
    const secret = /^HEALTHCHECK_SECRET=(\S+)$/.exec(
      stage.find((i) => i.op === 'ENV' && /^HEALTHCHECK_SECRET=/.test(i.args))?.args ?? '',
    )?.[1];
    assert.ok(secret, 'ENV HEALTHCHECK_SECRET');
    assert.equal(new ClientTable(config.clients).match('127.0.0.1')?.secret, secret);
  });

  test("README's quick start config stays on loopback", () => {
    const example = loadConfig(path.join(ROOT, 'examples/aioradius.yaml'));
    assert.equal(example.listen.host, '127.0.0.1');
  });
});
