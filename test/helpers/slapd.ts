// A private OpenLDAP slapd for tests: its own slapd.conf, data directory and port on 127.0.0.1,
// entries loaded with slapadd before it starts; stopped and removed by stop().
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary, runCommand } from './peers.js';
import { freePort } from './ports.js';

/** Why slapd cannot run here, or false (for node:test's `skip`). */
export function slapdMissing(): string | false {
  for (const bin of ['slapd', 'slapadd', 'slappasswd']) {
    if (!findBinary(bin)) return `skipped: ${bin} not installed (apt-get install slapd ldap-utils)`;
  }
  return false;
}

/** The suffix, admin DN and admin password of the test directory. */
export const LDAP_SUFFIX = 'dc=example,dc=org';
export const LDAP_ADMIN_DN = `cn=admin,${LDAP_SUFFIX}`;
export const LDAP_ADMIN_PASSWORD = 'ldap-admin-pw';
export const LDAP_PEOPLE = `ou=people,${LDAP_SUFFIX}`;

/** A person entry: uid, userPassword as given (cleartext or a slappasswd hash), extra attributes. */
export interface LdapPerson {
  uid: string;
  userPassword: string;
  description?: string;
}

/** A running slapd. */
export interface SlapdPeer {
  url: string;
  port: number;
  /** `ldaps://127.0.0.1:PORT` when started with a certificate. */
  ldapsUrl?: string;
  dir: string;
  /** Starts slapd again on the same port and data (after stop({ keep: true })). */
  start(): Promise<void>;
  /** Stops slapd; removes its directory unless `keep`. */
  stop(opts?: { keep?: boolean }): Promise<void>;
  log(): string;
}

function ldif(people: LdapPerson[]): string {
  const out = [
    `dn: ${LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
    `dn: ${LDAP_PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
  ];
  for (const p of people) {
    let e = `dn: uid=${p.uid},${LDAP_PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\ncn: ${p.uid}\nsn: ${p.uid}\n`;
    e += `userPassword:: ${Buffer.from(p.userPassword).toString('base64')}\n`;
    if (p.description) e += `description: ${p.description}\n`;
    out.push(e);
  }
  return out.join('\n');
}

function waitForPort(port: number, child: ChildProcess, ms: number, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`slapd exited: ${log()}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`slapd not listening within ${ms} ms: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** TLS for slapd: PEM files of its certificate and key (StartTLS on ldap://, and an ldaps:// port). */
export interface SlapdTls {
  cert: string;
  key: string;
}

/** Starts slapd (mdb back end) on a free port with `people` under ou=people. */
export async function startSlapd(people: LdapPerson[], tls?: SlapdTls): Promise<SlapdPeer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aioradius-slapd-'));
  const data = path.join(dir, 'data');
  await fs.mkdir(data);
  const conf = path.join(dir, 'slapd.conf');
  const schema = '/etc/ldap/schema';
  await fs.writeFile(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson'].map((s) => `include ${schema}/${s}.schema`),
      `pidfile ${dir}/slapd.pid`,
      `argsfile ${dir}/slapd.args`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      'maxsize 10485760',
      `suffix "${LDAP_SUFFIX}"`,
      `rootdn "${LDAP_ADMIN_DN}"`,
      `rootpw ${LDAP_ADMIN_PASSWORD}`,
      `directory ${data}`,
      ...(tls ? [`TLSCertificateFile ${tls.cert}`, `TLSCertificateKeyFile ${tls.key}`] : []),
      // Passwords: a user may bind with its own; nobody reads them.
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  const ldifFile = path.join(dir, 'people.ldif');
  await fs.writeFile(ldifFile, ldif(people));
  const add = await runCommand(findBinary('slapadd') ?? 'slapadd', ['-f', conf, '-l', ldifFile], {
    timeoutMs: 30_000,
  });
  if (add.code !== 0) throw new Error(`slapadd failed: ${add.stderr}`);
  const port = await freePort({ tcp: true });
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = tls ? `ldaps://127.0.0.1:${await freePort({ tcp: true })}` : undefined;
  let child: ChildProcess | undefined;
  let out = '';
  const peer: SlapdPeer = {
    url,
    port,
    ldapsUrl,
    dir,
    log: () => out.slice(-2000),
    async start() {
      // -d 0: stay in the foreground (no init system), logging nothing but errors.
      const urls = ldapsUrl ? `${url}/ ${ldapsUrl}/` : `${url}/`;
      const c = spawn(findBinary('slapd') ?? 'slapd', ['-d', '0', '-h', urls, '-f', conf], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      await waitForPort(port, c, 15_000, peer.log);
      if (ldapsUrl) await waitForPort(Number(ldapsUrl.split(':').at(-1)), c, 15_000, peer.log);
    },
    async stop(opts = {}) {
      const c = child;
      child = undefined;
      if (c && c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      if (!opts.keep) await fs.rm(dir, { recursive: true, force: true });
    },
  };
  process.once('exit', () => child?.kill('SIGKILL'));
  try {
    await peer.start();
  } catch (err) {
    await peer.stop();
    throw err;
  }
  return peer;
}
