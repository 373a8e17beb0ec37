// deploy/: the systemd unit passes `systemd-analyze verify` with no diagnostic about it, and the
// Dockerfile copies files that exist, runs unprivileged and checks health with a Status-Server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const UNIT = path.join(ROOT, 'deploy/aioradius.service');
const DOCKERFILE = path.join(ROOT, 'deploy/Dockerfile');
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;

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
});
