// Every key of `serve`'s YAML, in one table: the loader takes the keys each section accepts from it
// (a key missing here is refused as unknown), and the configuration reference (docs/configuration.md)
// is generated from it, so the two cannot drift apart.

/** One key of the configuration. */
export interface ConfigKey {
  /** Dotted path; `[]` marks a list item (`clients[].secret`). */
  path: string;
  /** What it takes, in words (`port`, `string`, `secret`, `true | false | auto`...). */
  type: string;
  /** The default, as written in YAML; undefined when the key is required or has none. */
  default?: string;
  required?: boolean;
  /** Whether SIGHUP applies a change without a restart. */
  reload: boolean;
  doc: string;
}

const SECRET = 'secret: a string, `{ env: NAME }` or `{ file: PATH }`';

export const CONFIG_KEYS: readonly ConfigKey[] = [
  { path: 'listen', type: 'mapping', reload: false, doc: 'Where the server listens.' },
  {
    path: 'listen.host',
    type: 'address',
    default: '127.0.0.1',
    reload: false,
    doc: 'Address the listeners bind to (`0.0.0.0` or `::` for all).',
  },
  {
    path: 'listen.auth',
    type: 'port | null',
    default: '1812',
    reload: false,
    doc: 'Authentication port (UDP); 0 picks a free one; `null` (or `~`, `false`) opens no UDP authentication listener (a RadSec-only server). At least one listener must remain: `listen.auth`, `listen.acct`, `listen.tcp` or `listen.tls`.',
  },
  {
    path: 'listen.acct',
    type: 'port | null',
    default: '1813',
    reload: false,
    doc: 'Accounting port (UDP); must differ from `listen.auth`; `null` (or `~`, `false`) opens no UDP accounting listener.',
  },
  {
    path: 'listen.coa',
    type: 'port',
    reload: false,
    doc: 'Dynamic Authorization port (UDP): with a `proxy` section, CoA/Disconnect-Requests from home servers are forwarded to the NAS named in them (RFC 5176 §3.1).',
  },
  {
    path: 'listen.tcp',
    type: 'mapping',
    reload: false,
    doc: 'RADIUS over TCP (RFC 6613): every request type on one port.',
  },
  { path: 'listen.tcp.port', type: 'port', required: true, reload: false, doc: 'The TCP port.' },
  { path: 'listen.tls', type: 'mapping', reload: false, doc: 'RADIUS over TLS (RFC 6614, RadSec).' },
  { path: 'listen.tls.port', type: 'port', default: '2083', reload: false, doc: 'The TLS port.' },
  {
    path: 'listen.tls.certificate',
    type: 'PEM file',
    reload: false,
    doc: 'Server certificate (required unless every TLS client uses a PSK).',
  },
  { path: 'listen.tls.privateKey', type: 'PEM file', reload: false, doc: 'Its private key (same rule).' },
  {
    path: 'listen.tls.ca',
    type: 'PEM file',
    reload: false,
    doc: 'CA that must have signed client certificates (same rule).',
  },
  { path: 'listen.tls.crl', type: 'PEM file', reload: false, doc: 'Revoked client certificates.' },
  {
    path: 'listen.tls.minVersion',
    type: 'TLSv1.2 | TLSv1.3',
    default: 'TLSv1.2',
    reload: false,
    doc: 'Lowest TLS version accepted.',
  },
  {
    path: 'listen.tls.radiusVersion',
    type: "'1.0' | '1.1' | '1.0,1.1'",
    default: "'1.0,1.1'",
    reload: false,
    doc: 'RADIUS/1.1 (RFC 9765) by ALPN: either, only 1.1, or never.',
  },
  {
    path: 'listen.tls.shareRecords',
    type: 'true | false',
    default: 'false',
    reload: false,
    doc: 'Replies of one event-loop turn share a TLS record: less CPU, for clients that read the stream (radsecproxy, aioradius); FreeRADIUS 3.2 needs one reply per record.',
  },
  {
    path: 'clients',
    type: 'list',
    required: true,
    reload: true,
    doc: 'The NASes (or networks of them) allowed to send requests.',
  },
  {
    path: 'clients[].address',
    type: 'address or CIDR',
    required: true,
    reload: true,
    doc: 'Source address or network; the most specific entry wins.',
  },
  {
    path: 'clients[].secret',
    type: SECRET,
    reload: true,
    doc: 'Shared secret (required, except over TLS where it defaults to `radsec`).',
  },
  { path: 'clients[].name', type: 'string', reload: true, doc: 'Name in logs and metrics.' },
  {
    path: 'clients[].requireMessageAuthenticator',
    type: 'true | false | auto',
    default: 'auto',
    reload: true,
    doc: 'BlastRADIUS: require Message-Authenticator in Access-Requests (`auto`: once the NAS has sent one).',
  },
  {
    path: 'clients[].coaPort',
    type: 'port',
    default: '3799',
    reload: true,
    doc: "The NAS's Dynamic Authorization port: where proxied CoA/Disconnect-Requests go.",
  },
  {
    path: 'clients[].limitProxyState',
    type: 'true | false',
    default: 'true',
    reload: true,
    doc: 'Drop unsigned Access-Requests that carry Proxy-State.',
  },
  {
    path: 'clients[].transport',
    type: 'udp | tcp | tls',
    reload: true,
    doc: 'Only requests over this transport match the entry; absent: any.',
  },
  {
    path: 'clients[].psk',
    type: 'mapping',
    reload: true,
    doc: 'TLS-PSK: the client authenticates with this identity and key (transport tls).',
  },
  {
    path: 'clients[].psk.identity',
    type: 'string',
    required: true,
    reload: true,
    doc: 'PSK identity the client sends.',
  },
  {
    path: 'clients[].psk.key',
    type: `${SECRET} (hex, 16 bytes or more)`,
    required: true,
    reload: true,
    doc: 'The pre-shared key.',
  },
  {
    path: 'users',
    type: 'list',
    reload: true,
    doc: 'Users kept in the config (the database and back ends hold more).',
  },
  { path: 'users[].name', type: 'string', required: true, reload: true, doc: 'User-Name.' },
  { path: 'users[].password', type: 'string', reload: true, doc: 'Cleartext password (every method).' },
  {
    path: 'users[].passwordHash',
    type: 'string',
    reload: true,
    doc: 'A stored hash ($6$, $5$, $1$, bcrypt, {SSHA}...): PAP only.',
  },
  { path: 'users[].ntHash', type: '32 hex digits', reload: true, doc: 'NT hash: MS-CHAP and PAP.' },
  {
    path: 'users[].reply',
    type: 'attributes',
    reload: true,
    doc: 'Reply attributes (`Name: value` or a list of `Name = value`).',
  },
  {
    path: 'users[].check',
    type: 'attributes',
    reload: true,
    doc: 'Attributes the request must carry with these values.',
  },
  {
    path: 'dictionaries',
    type: 'list of paths',
    default: "FreeRADIUS's when installed",
    reload: false,
    doc: 'FreeRADIUS-format dictionaries over the built-in one; `[]` for none.',
  },
  { path: 'log', type: 'mapping', reload: true, doc: 'Logging.' },
  {
    path: 'log.level',
    type: 'fatal | error | warn | info | debug | trace | silent',
    default: 'info',
    reload: true,
    doc: 'Log level (`--log-level` overrides it).',
  },
  { path: 'metrics', type: 'mapping', reload: false, doc: 'Prometheus metrics over HTTP.' },
  {
    path: 'metrics.host',
    type: 'address',
    default: '127.0.0.1',
    reload: false,
    doc: 'Address of the metrics endpoint.',
  },
  { path: 'metrics.port', type: 'port', required: true, reload: false, doc: 'Its port.' },
  {
    path: 'database',
    type: 'path or postgres:// URL',
    default: 'aioradius.db',
    reload: false,
    doc: 'Users and accounting: an SQLite file, or PostgreSQL (postgres://user:pass@host:port/db).',
  },
  {
    path: 'sharedState',
    type: 'redis:// URL',
    reload: false,
    doc: 'Redis shared by several instances: duplicate detection across them (down: each instance works alone).',
  },
  {
    path: 'cluster',
    type: 'mapping',
    reload: false,
    doc: 'Instances that hand each other the EAP rounds of conversations they own (TLS sessions stay in one process).',
  },
  {
    path: 'cluster.listen',
    type: 'address:port',
    required: true,
    reload: false,
    doc: 'Where this instance takes rounds from the others (UDP), as they reach it; port 0 with --workers.',
  },
  {
    path: 'cluster.key',
    type: SECRET,
    required: true,
    reload: false,
    doc: 'The same on every instance, 16 characters or more: seals what instances send each other (HMAC-SHA256).',
  },
  {
    path: 'cluster.peers',
    type: 'list of address:port',
    reload: false,
    doc: "The other instances' cluster.listen (also found in sharedState's Redis, where each registers).",
  },
  { path: 'accounting', type: 'mapping', reload: false, doc: 'Accounting sessions.' },
  {
    path: 'accounting.staleAfter',
    type: 'seconds',
    reload: false,
    doc: 'Sessions without an update for this long are marked stale.',
  },
  {
    path: 'accounting.duplicateWindow',
    type: 'seconds',
    reload: false,
    doc: 'An Accounting-Request with the content of one stored this long ago (Acct-Delay-Time aside) is a retransmission, stored once (default 300).',
  },
  {
    path: 'ldap',
    type: 'mapping',
    reload: true,
    doc: 'Users in an LDAP directory (PAP by a bind as the user).',
  },
  {
    path: 'ldap.url',
    type: 'ldap:// or ldaps:// URL',
    required: true,
    reload: true,
    doc: 'The directory server.',
  },
  { path: 'ldap.baseDn', type: 'DN', required: true, reload: true, doc: 'Where users are searched.' },
  {
    path: 'ldap.filter',
    type: 'LDAP filter with {user}',
    default: '(uid={user})',
    reload: true,
    doc: 'Search filter.',
  },
  { path: 'ldap.bindDn', type: 'DN', reload: true, doc: 'DN the search binds as (anonymous when absent).' },
  { path: 'ldap.bindPassword', type: SECRET, reload: true, doc: 'Its password.' },
  { path: 'ldap.timeout', type: 'seconds', default: '5', reload: true, doc: 'Per operation.' },
  {
    path: 'ldap.startTls',
    type: 'true | false',
    default: 'false',
    reload: true,
    doc: 'StartTLS on an ldap:// URL.',
  },
  {
    path: 'ldap.ca',
    type: 'PEM file',
    reload: true,
    doc: 'CA the directory server certificate must chain to.',
  },
  { path: 'ldap.reply', type: 'mapping', reload: true, doc: 'LDAP attribute → RADIUS reply attribute.' },
  {
    path: 'eap',
    type: 'mapping',
    reload: false,
    doc: 'EAP (802.1X: PEAP, TTLS, EAP-TLS...); without it EAP requests are refused. A change needs a restart.',
  },
  {
    path: 'eap.certificate',
    type: 'PEM file',
    reload: false,
    doc: 'Server certificate (required for tls, peap, ttls).',
  },
  { path: 'eap.privateKey', type: 'PEM file', reload: false, doc: 'Its private key.' },
  {
    path: 'eap.ca',
    type: 'PEM file',
    reload: false,
    doc: 'CA of client certificates (required for EAP-TLS).',
  },
  { path: 'eap.crl', type: 'PEM file', reload: false, doc: 'Revoked client certificates.' },
  {
    path: 'eap.methods',
    type: 'list of md5, gtc, mschapv2, tls, peap, ttls',
    default: 'peap, ttls, tls (with a ca), mschapv2, gtc, md5',
    reload: false,
    doc: 'Methods offered, preferred first; any case, `EAP-` allowed (PEAP, EAP-TLS); one name alone is a list of one.',
  },
  {
    path: 'eap.fragmentSize',
    type: 'bytes (64..4000)',
    default: '1024',
    reload: false,
    doc: 'Largest EAP-TLS fragment sent (Framed-MTU lowers it).',
  },
  { path: 'eap.tls', type: 'mapping', reload: false, doc: 'TLS versions of the EAP methods.' },
  {
    path: 'eap.tls.minVersion',
    type: 'TLSv1.2 | TLSv1.3',
    default: 'TLSv1.2',
    reload: false,
    doc: 'Lowest TLS version.',
  },
  {
    path: 'eap.tls.maxVersion',
    type: 'TLSv1.2 | TLSv1.3',
    default: 'TLSv1.3',
    reload: false,
    doc: 'Highest TLS version of EAP-TLS.',
  },
  {
    path: 'eap.tls.tunnelMaxVersion',
    type: 'TLSv1.2 | TLSv1.3',
    default: 'TLSv1.2',
    reload: false,
    doc: 'Highest TLS version of PEAP and TTLS (their TLS 1.3 forms, RFC 9427, interoperate poorly).',
  },
  {
    path: 'eap.tls.workers',
    type: 'integer (0..64)',
    default: '0',
    reload: false,
    doc: 'Worker threads for the TLS of EAP-TLS, PEAP and TTLS (0: in the main thread).',
  },
  {
    path: 'eap.tls.checkIdentity',
    type: 'boolean',
    default: 'true',
    reload: false,
    doc: "EAP-TLS: an identity that names a user (config or database) must be the certificate's CN or a subjectAltName e-mail or DNS name, else Access-Reject; false lets any certificate the CA signed log in as any user.",
  },
  {
    path: 'eap.tls.keyLogFile',
    type: 'file path',
    reload: false,
    doc: 'Appends the TLS keys of every EAP session (SSLKEYLOGFILE format, mode 0600) for decrypting tunnels in Wireshark or tshark; debugging only, off by default.',
  },
  {
    path: 'proxy',
    type: 'mapping',
    reload: false,
    doc: 'Realms forwarded to home servers (a change needs a restart).',
  },
  {
    path: 'proxy.homeServers',
    type: 'list',
    required: true,
    reload: false,
    doc: 'The home servers requests may go to.',
  },
  {
    path: 'proxy.homeServers[].name',
    type: 'string',
    required: true,
    reload: false,
    doc: 'Name that pools refer to.',
  },
  {
    path: 'proxy.homeServers[].host',
    type: 'host or address',
    required: true,
    reload: false,
    doc: 'Where it is.',
  },
  {
    path: 'proxy.homeServers[].auth',
    type: 'port',
    default: '1812 (2083 over TLS)',
    reload: false,
    doc: 'Authentication port.',
  },
  {
    path: 'proxy.homeServers[].acct',
    type: 'port',
    default: '1813 (2083 over TLS)',
    reload: false,
    doc: 'Accounting port.',
  },
  {
    path: 'proxy.homeServers[].coa',
    type: 'port',
    default: '3799',
    reload: false,
    doc: 'CoA/Disconnect port.',
  },
  {
    path: 'proxy.homeServers[].secret',
    type: SECRET,
    reload: false,
    doc: 'Shared secret with it (required, except over TLS: `radsec`).',
  },
  {
    path: 'proxy.homeServers[].transport',
    type: 'udp | tcp | tls',
    default: 'udp',
    reload: false,
    doc: 'How it is reached.',
  },
  {
    path: 'proxy.homeServers[].window',
    type: 'integer',
    default: '65536',
    reload: false,
    doc: 'Most requests in flight to it; beyond, requests go to another server of the pool or wait.',
  },
  {
    path: 'proxy.homeServers[].tls',
    type: 'mapping',
    reload: false,
    doc: 'With transport tls: how we meet it (RFC 6614 §2.3). Its certificate is always verified.',
  },
  {
    path: 'proxy.homeServers[].tls.certificate',
    type: 'PEM file',
    reload: false,
    doc: 'Our client certificate (relative to this file), for home servers that require one.',
  },
  { path: 'proxy.homeServers[].tls.privateKey', type: 'PEM file', reload: false, doc: 'Its private key.' },
  {
    path: 'proxy.homeServers[].tls.ca',
    type: 'PEM file',
    reload: false,
    doc: "The CA its certificate must chain to; without it, the system's CAs.",
  },
  {
    path: 'proxy.homeServers[].tls.serverName',
    type: 'string',
    default: 'host',
    reload: false,
    doc: 'The name (or address) its certificate must carry, and the SNI sent.',
  },
  {
    path: 'proxy.homeServers[].tls.minVersion',
    type: 'TLSv1.2 | TLSv1.3',
    default: 'TLSv1.2',
    reload: false,
    doc: 'Lowest TLS version accepted.',
  },
  {
    path: 'proxy.homeServers[].tls.radiusVersion',
    type: "'1.0' | '1.1' | '1.0,1.1'",
    default: "'1.0,1.1'",
    reload: false,
    doc: 'RADIUS/1.1 (RFC 9765) offered by ALPN.',
  },
  {
    path: 'proxy.homeServers[].tls.psk',
    type: 'mapping',
    reload: false,
    doc: 'TLS-PSK (RFC 4279) instead of certificates.',
  },
  {
    path: 'proxy.homeServers[].tls.psk.identity',
    type: 'string',
    required: true,
    reload: false,
    doc: 'PSK identity we send.',
  },
  {
    path: 'proxy.homeServers[].tls.psk.key',
    type: `${SECRET} (hex, 16 bytes or more)`,
    required: true,
    reload: false,
    doc: 'The pre-shared key.',
  },
  { path: 'proxy.pools', type: 'list', reload: false, doc: 'Groups of home servers a realm sends to.' },
  {
    path: 'proxy.pools[].name',
    type: 'string',
    required: true,
    reload: false,
    doc: 'Name that realms refer to.',
  },
  {
    path: 'proxy.pools[].servers',
    type: 'list of home server names',
    required: true,
    reload: false,
    doc: 'Its members.',
  },
  {
    path: 'proxy.pools[].balance',
    type: 'failover | round-robin | keyed | client',
    default: 'failover',
    reload: false,
    doc: 'How a member is chosen.',
  },
  {
    path: 'proxy.pools[].key',
    type: 'attribute name',
    default: 'Calling-Station-Id',
    reload: false,
    doc: 'What `keyed` hashes.',
  },
  { path: 'proxy.pools[].fallback', type: 'pool name', reload: false, doc: 'Used when no member is alive.' },
  {
    path: 'proxy.realms',
    type: 'list',
    reload: false,
    doc: 'Realms and the pool each goes to (exact names, then regexes in order, then DEFAULT; NULL: no realm).',
  },
  {
    path: 'proxy.realms[].name',
    type: 'string',
    required: true,
    reload: false,
    doc: 'Realm name (`DEFAULT`, `NULL` are special).',
  },
  {
    path: 'proxy.realms[].regex',
    type: 'regular expression',
    reload: false,
    doc: 'Matches the realm instead of the name.',
  },
  {
    path: 'proxy.realms[].pool',
    type: 'pool name or LOCAL',
    reload: false,
    doc: 'Where it goes; LOCAL or absent: handled here.',
  },
  {
    path: 'proxy.realms[].strip',
    type: 'true | false',
    default: 'true',
    reload: false,
    doc: 'Strip the realm from User-Name before forwarding.',
  },
  { path: 'proxy.timeout', type: 'seconds', reload: false, doc: 'How long a home server may take.' },
  { path: 'proxy.retries', type: '0..10', reload: false, doc: 'Retransmissions to a home server.' },
  {
    path: 'proxy.noResponse',
    type: 'reject | drop',
    default: 'reject',
    reload: false,
    doc: 'What the NAS gets when no home server answers.',
  },
  {
    path: 'proxy.probeInterval',
    type: 'seconds',
    reload: false,
    doc: 'Status-Server probes of a zombie or dead home server.',
  },
  {
    path: 'proxy.statusCheck',
    type: 'true | false',
    default: 'true',
    reload: false,
    doc: 'Probe zombie and dead home servers with Status-Server (RFC 5997).',
  },
  {
    path: 'proxy.zombiePeriod',
    type: 'seconds',
    default: '40',
    reload: false,
    doc: 'How long a home server that stopped answering stays a zombie before it is dead.',
  },
  {
    path: 'proxy.reviveAnswers',
    type: '1..100',
    default: '3',
    reload: false,
    doc: 'Status-Server answers in a row that bring a zombie or dead home server back to alive.',
  },
  {
    path: 'proxy.reviveInterval',
    type: 'seconds',
    default: '120',
    reload: false,
    doc: 'Without `statusCheck`: when a dead home server is used again.',
  },
  {
    path: 'proxy.storeAndForward',
    type: 'true | false',
    default: 'true',
    reload: false,
    doc: 'Acknowledge proxied accounting once queued in the database, then forward it (an SQLite database only: with a postgres:// database it must be false).',
  },
  {
    path: 'proxy.duplicateWindow',
    type: 'seconds',
    default: '5',
    reload: false,
    doc: "Home servers' duplicate window: a queued record resent within it keeps its bytes (RFC 5080 §2.2.2), past it gets a fresh Acct-Delay-Time.",
  },
  {
    path: 'http',
    type: 'mapping',
    reload: true,
    doc: 'Users behind an HTTP service (one lookup per user, cached).',
  },
  {
    path: 'http.url',
    type: 'http(s) URL with {user}',
    required: true,
    reload: true,
    doc: 'Where a user is looked up.',
  },
  {
    path: 'http.method',
    type: 'GET | POST',
    default: 'GET',
    reload: true,
    doc: 'POST sends the user in the body.',
  },
  { path: 'http.headers', type: `mapping of ${SECRET}`, reload: true, doc: 'Request headers (tokens).' },
  { path: 'http.timeout', type: 'seconds', default: '2', reload: true, doc: 'Per lookup.' },
  {
    path: 'http.cacheSeconds',
    type: 'seconds (0: no cache)',
    default: '30',
    reload: true,
    doc: 'How long an answer is kept.',
  },
  { path: 'http.cacheSize', type: 'entries', default: '1000', reload: true, doc: 'Answers kept at most.' },
];

/** The keys directly under `section` ('' for the top level, `clients[]` for a client entry). */
export function keysOf(section: string): string[] {
  const prefix = section === '' ? '' : `${section}.`;
  const out: string[] = [];
  for (const k of CONFIG_KEYS) {
    if (!k.path.startsWith(prefix)) continue;
    const rest = k.path.slice(prefix.length).replace(/\[\]$/, '');
    if (rest !== '' && !rest.includes('.') && !rest.includes('[')) out.push(rest);
  }
  return out;
}

/** The configuration reference in Markdown: every key, its type, default and whether SIGHUP reloads it. */
export function configReference(): string {
  const lines = [
    '# `aioradius serve` configuration reference',
    '',
    'Generated from the table the configuration loader validates with (src/cli/config-schema.ts);',
    'do not edit by hand: `npm run docs:config` writes it. Paths in the file are relative to it.',
    '`[]` marks an item of a list. SIGHUP: whether `kill -HUP` applies a change (others need a restart).',
    '',
    '| Key | Type | Default | SIGHUP | Meaning |',
    '| --- | --- | --- | --- | --- |',
  ];
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  for (const k of CONFIG_KEYS) {
    const def = k.required ? 'required' : k.default === undefined ? '' : `\`${k.default}\``;
    lines.push(
      `| \`${k.path}\` | ${cell(k.type)} | ${cell(def)} | ${k.reload ? 'yes' : 'no'} | ${cell(k.doc)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
