// `aioradius certs DIR`: a test CA, a server and a client certificate (made with the openssl
// command), a config for `serve` with an eap section, and eapol_test configs, so that trying
// 802.1X takes two commands. Not for production: the keys are unencrypted and short-lived.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commandFailed, numberOption, parseCommandLine, UsageError } from './args.js';
import { runIfMain } from './run-main.js';

const USAGE = `usage: aioradius certs DIR [--days N] [--auth PORT] [--force]

Makes a test CA (ca.pem), a server certificate (server.pem, server.key) and a client certificate
(client.pem, client.key) in DIR, a config for "aioradius serve" with an eap section
(aioradius.yaml: user alice/alicepw, NAS 127.0.0.0/8 with secret testing123), and eapol_test
configs (peap.conf, ttls.conf, tls.conf). Needs the openssl command.

  --days N     validity of the certificates (default 365)
  --auth PORT  the authentication port in aioradius.yaml (default 1812)
  --force      overwrite files already in DIR`;

const OUTPUTS = [
  'ca.pem',
  'ca.key',
  'server.pem',
  'server.key',
  'client.pem',
  'client.key',
  'aioradius.yaml',
];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

/** One certificate signed by the CA in `dir`, with the extended key usage a TLS role needs. */
function signed(dir: string, name: string, usage: 'serverAuth' | 'clientAuth', days: number): void {
  // RFC 5216 §5.3: a peer checks the server certificate's extended key usage (serverAuth).
  writeFileSync(
    path.join(dir, `${name}.ext`),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
    ].join('\n'),
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      String(days),
    ].concat(['-extfile', `${name}.ext`, '-out', `${name}.pem`]),
    dir,
  );
}

function eapolConfig(lines: string[]): string {
  return `network={\n${['key_mgmt=WPA-EAP', ...lines].map((l) => `  ${l}`).join('\n')}\n}\n`;
}

/** Writes the files of a test 802.1X set-up into `dir`. */
export function makeTestCertificates(dir: string, days = 365, authPort = 1812): void {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      '/CN=aioradius test CA',
    ].concat(['-keyout', 'ca.key', '-out', 'ca.pem']),
    dir,
  );
  signed(dir, 'server', 'serverAuth', days);
  signed(dir, 'client', 'clientAuth', days);
  writeFileSync(
    path.join(dir, 'aioradius.yaml'),
    [
      '# A test 802.1X server made by `aioradius certs`: aioradius serve --config aioradius.yaml',
      'listen:',
      '  host: 127.0.0.1',
      `  auth: ${authPort}`,
      `  acct: ${authPort === 0 ? 0 : authPort + 1}`,
      'clients:',
      '  - address: 127.0.0.0/8',
      '    secret: testing123',
      'users:',
      '  - name: alice',
      '    password: alicepw',
      'eap:',
      '  certificate: server.pem',
      '  privateKey: server.key',
      '  ca: ca.pem',
      '  methods: [peap, ttls, tls, mschapv2, gtc, md5]',
      'database: ./aioradius.db',
      '',
    ].join('\n'),
  );
  const ca = path.resolve(dir, 'ca.pem');
  const password = [
    'identity="alice"',
    'anonymous_identity="anonymous"',
    'password="alicepw"',
    `ca_cert="${ca}"`,
  ];
  writeFileSync(
    path.join(dir, 'peap.conf'),
    eapolConfig(['eap=PEAP', ...password, 'phase1="peapver=0"', 'phase2="auth=MSCHAPV2"']),
  );
  writeFileSync(path.join(dir, 'ttls.conf'), eapolConfig(['eap=TTLS', ...password, 'phase2="auth=PAP"']));
  writeFileSync(
    path.join(dir, 'tls.conf'),
    eapolConfig([
      'eap=TLS',
      'identity="client"',
      `ca_cert="${ca}"`,
      `client_cert="${path.resolve(dir, 'client.pem')}"`,
      `private_key="${path.resolve(dir, 'client.key')}"`,
      'phase1="tls_disable_tlsv1_3=0"',
    ]),
  );
}

/** Entry point of `aioradius certs`. */
export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv, {
      help: { type: 'boolean', short: 'h' },
      days: { type: 'string' },
      auth: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('one directory is required');
    const dir = positionals[0];
    const days = numberOption(values, 'days', 365, 1, 36500);
    const auth = numberOption(values, 'auth', 1812, 0, 65535);
    const present = OUTPUTS.filter((f) => existsSync(path.join(dir, f)));
    if (present.length > 0 && !values.force) {
      throw new Error(`${dir} already has ${present.join(', ')} (use --force to overwrite)`);
    }
    try {
      makeTestCertificates(dir, days, auth);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') throw new Error('the openssl command is needed (apt-get install openssl)');
      throw new Error(`openssl failed: ${e.stderr?.toString().trim() || e.message}`);
    }
    const config = path.join(dir, 'aioradius.yaml');
    process.stdout.write(
      [
        `Test CA, server and client certificates written to ${dir}. Next:`,
        `  aioradius serve --config ${config}`,
        `  eapol_test -c ${path.join(dir, 'peap.conf')} -a 127.0.0.1 -p ${auth} -s testing123`,
        `  (also ttls.conf, and tls.conf for EAP-TLS with client.pem)`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    return commandFailed('certs', err);
  }
}

runIfMain(import.meta.url, 'certs', run);
