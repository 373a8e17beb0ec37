// What `aioradius test`, `send`, `coa` and `disconnect` print when a server gave no answer at all,
// or refused the client's TLS connection.

/**
 * A RADIUS server drops, silently, a request from an address it has no client (NAS) entry for,
 * and one whose authenticator does not verify with its shared secret (RFC 2865 §3): both look
 * like a dead server from here.
 */
export const TIMEOUT_HINT =
  'hint: no answer at all. The server may not know this client (check its NAS/client entry for ' +
  "this machine's source address) or the shared secret may be wrong (check the secret on both " +
  'sides); also check the server address, the port, and any firewall in between.';

/**
 * A RADIUS/TLS server judges the client's certificate in the handshake (RFC 6614 §2.3), before
 * it reads any packet: the shared secret cannot be the cause.
 */
export const REFUSED_HINT =
  'hint: the server ended the TLS connection in or right after the handshake, before answering: ' +
  'it refused this client. Check that the --cert certificate is signed by a CA the server trusts, ' +
  'has not expired and allows client authentication, and that the server has a client entry for ' +
  'this address; a server may also refuse connections past its limit per client. The shared ' +
  'secret plays no part in this.';

/**
 * A NAS drops a CoA or Disconnect-Request that it cannot authenticate, or that comes from an address
 * it takes no Dynamic Authorization from (RFC 5176 §3, §5.1), as silently as a server would.
 */
export const DAS_TIMEOUT_HINT =
  'hint: no answer at all. The NAS may not take CoA/Disconnect requests from this address (check its ' +
  'dynamic authorization client entry), the shared secret may be wrong (check it on both sides), or ' +
  'its port may not be 3799 (--port); also check any firewall in between.';
