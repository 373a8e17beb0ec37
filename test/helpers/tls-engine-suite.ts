// What tests that drive the EAP TLS engines by hand share: a CA with a server and a client
// certificate made before the suite and removed after it, TLS sides (tlsEngineConfig) closed after
// it, node:tls peers (OpenSSL) for either kind of endpoint, and a loop that plays a handshake.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { Worker } from 'node:worker_threads';
import type tls from 'node:tls';
import { type EapTlsOptions, type TlsEndpointKind, tlsEngineConfig } from '../../src/eap/tls-config.js';
import type { TlsChannel } from '../../src/eap/tls-engine.js';
import { type CertFiles, makeCa, makeCert } from './certs.js';
import { MemoryTlsPeer } from './memory-tls-peer.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Plays the peer's flights into the channel until neither side has more to say (bounded). */
export async function playHandshake(channel: TlsChannel, peer: MemoryTlsPeer): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const bytes = await peer.take();
    if (bytes.length === 0) break;
    await channel.receive(bytes);
    const out = channel.takeOutput();
    if (out.length > 0) peer.give(out);
  }
  await tick();
}

/**
 * The ops of the messages posted to worker threads (TLS workers) while `work` runs; a message that
 * also makes a session (a first 'receive' with `open`) counts as 'open' too.
 */
export async function postedOps(work: () => Promise<void>): Promise<string[]> {
  const ops: string[] = [];
  const original = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: []) {
    const m = message as { op?: unknown; open?: unknown };
    ops.push(String(m.op));
    if (m.open) ops.push('open');
    return original.call(this, message, ...rest);
  };
  try {
    await work();
  } finally {
    Worker.prototype.postMessage = original;
  }
  return ops;
}

/** The ops of the messages worker threads (TLS workers) sent while `work` runs. */
export async function receivedOps(work: () => Promise<void>): Promise<string[]> {
  const ops: string[] = [];
  const original = Worker.prototype.emit;
  Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
    if (event === 'message') ops.push(String((args[0] as { op?: unknown }).op));
    return original.call(this, event, ...args);
  };
  try {
    await work();
  } finally {
    Worker.prototype.emit = original;
  }
  return ops;
}

export interface TlsEngineSuite {
  /** The suite's temporary directory (for more certificates). */
  readonly dir: string;
  /** The CA (made before the suite's tests run). */
  readonly ca: CertFiles;
  /** A client certificate the CA signed. */
  readonly client: CertFiles;
  /** A TLS side with the server certificate (tunnels up to TLS 1.3), closed after the suite. */
  instance(options?: Partial<EapTlsOptions>): ReturnType<typeof tlsEngineConfig>;
  /** A peer for `kind` (EAP-TLS ones present the client certificate), maybe offering `session`. */
  peer(kind: TlsEndpointKind, maxVersion: tls.SecureVersion, session?: Buffer): MemoryTlsPeer;
}

/** Registers the suite's before/after hooks; call it inside describe(). */
export function tlsEngineSuite(name: string): TlsEngineSuite {
  let dir = '';
  let ca: CertFiles | undefined;
  let client: CertFiles | undefined;
  let base: EapTlsOptions | undefined;
  const configs: Array<{ close: () => void }> = [];
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('tlsEngineSuite: used before its before() hook ran');
    return value;
  };
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), `aioradius-${name}-`));
    ca = makeCa(dir, `${name}-ca`);
    const server = makeCert(dir, ca, `${name}-server`);
    client = makeCert(dir, ca, `${name}-client`);
    base = { cert: server.certPem, key: server.keyPem, ca: ca.certPem, tunnelMaxVersion: 'TLSv1.3' };
  });
  after(() => {
    for (const c of configs) c.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return made(dir || undefined);
    },
    get ca() {
      return made(ca);
    },
    get client() {
      return made(client);
    },
    instance(options = {}) {
      const config = tlsEngineConfig({ ...made(base), ...options });
      configs.push(config);
      return config;
    },
    peer(kind, maxVersion, session) {
      const certificate = made(client);
      return new MemoryTlsPeer({
        ca: made(ca).certPem,
        maxVersion,
        session,
        ...(kind === 'certificate' ? { cert: certificate.certPem, key: certificate.keyPem } : {}),
      });
    },
  };
}
