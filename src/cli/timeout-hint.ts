// What `aioradius test` and `send` print when a server gave no answer at all.

/**
 * A RADIUS server drops, silently, a request from an address it has no client (NAS) entry for,
 * and one whose authenticator does not verify with its shared secret (RFC 2865 §3): both look
 * like a dead server from here.
 */
export const TIMEOUT_HINT =
  'hint: no answer at all. The server may not know this client (check its NAS/client entry for ' +
  "this machine's source address) or the shared secret may be wrong (check the secret on both " +
  'sides); also check the server address, the port, and any firewall in between.';
