/*
 * eap-tls-load: an EAP-TLS load generator for the EAP benchmark (bench/eap.bench.ts, BENCH_DRIVER=c).
 *
 * INFLIGHT conversations log in back to back for SECONDS against a RADIUS server, each with its own
 * UDP socket and its own SSL object, all in one thread around poll(). EAP travels in RADIUS as in
 * RFC 3579, EAP-TLS is framed as in RFC 5216 §2.1.5, TLS 1.3 ends as in RFC 9190 §2.5. It is a
 * load generator, not a supplicant: it exports no keys and checks only what OpenSSL checks.
 *
 * Build: cc -O2 -o eap-tls-load eap-tls-load.c -lssl -lcrypto
 * Usage: eap-tls-load HOST PORT SECRET IDENTITY CA_PEM CERT_PEM KEY_PEM TLSVER INFLIGHT SECONDS RESUME
 * Prints one line of JSON: logins, accepted, resumed, failed, bad, requests, seconds, cpu_ms_per_login.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

/* RADIUS codes and attributes (RFC 2865, RFC 3579). */
#define RADIUS_ACCESS_REQUEST 1
#define RADIUS_ACCESS_ACCEPT 2
#define RADIUS_ACCESS_REJECT 3
#define RADIUS_ACCESS_CHALLENGE 11
#define ATTR_USER_NAME 1
#define ATTR_NAS_IP_ADDRESS 4
#define ATTR_STATE 24
#define ATTR_EAP_MESSAGE 79
#define ATTR_MESSAGE_AUTHENTICATOR 80
#define RADIUS_HEADER 20
#define RADIUS_MAX 4096

/* EAP codes and types (RFC 3748), EAP-TLS flags (RFC 5216 §3.1). */
#define EAP_REQUEST 1
#define EAP_RESPONSE 2
#define EAP_TYPE_IDENTITY 1
#define EAP_TYPE_NAK 3
#define EAP_TYPE_TLS 13
#define TLS_FLAG_LENGTH 0x80
#define TLS_FLAG_MORE 0x40
#define TLS_FLAG_START 0x20

#define FRAGMENT_SIZE 1024   /* TLS data per EAP packet */
#define TLS_MESSAGE_MAX 65536 /* a whole TLS flight either way; more is a broken server */
#define RESEND_AFTER_MS 2000
#define RESENDS 2
#define ROUNDS_PER_LOGIN 100 /* requests in one login before giving up on it */
#define DRAIN_PER_WAKE 16    /* datagrams read from one socket per poll() wake-up */
#define OVERRUN_MS 60000     /* how long logins in progress may run past SECONDS */

struct config {
  const char *host;
  int port;
  const char *secret;
  size_t secret_len;
  const char *identity;
  size_t identity_len;
  const char *ca, *cert, *key;
  int max_version; /* TLS1_2_VERSION or TLS1_3_VERSION */
  int inflight;
  double seconds;
  int resume;
};

struct counters {
  long accepted, resumed, failed, bad, requests;
};

/* A growable byte buffer with a hard cap. */
struct buf {
  uint8_t *data;
  size_t len, cap;
};

/* One conversation: a peer logging in again and again over its own socket. */
struct conv {
  int fd;
  int active;            /* a login is in progress */
  SSL *ssl;              /* this login's TLS, NULL before the EAP-TLS Start */
  SSL_SESSION *session;  /* the newest session the server issued (RESUME=1) */
  uint8_t radius_id;     /* the Identifier of the request in flight */
  uint8_t request_auth[16];
  uint8_t packet[RADIUS_MAX]; /* the request in flight, kept to resend it as it was */
  size_t packet_len;
  double sent_at_ms;
  int resends;
  int rounds;
  uint8_t state[253];
  size_t state_len;
  struct buf inbound;   /* fragments of the server's TLS message */
  struct buf outbound;  /* our TLS flight, sent fragment by fragment */
  size_t outbound_sent; /* bytes of `outbound` already sent */
};

/* What every function needs: the configuration, the counters and the OpenSSL objects made once. */
struct run {
  struct config cfg;
  struct counters count;
  SSL_CTX *ctx;
  EVP_MD *md5;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static int buf_append(struct buf *b, const uint8_t *data, size_t len) {
  if (b->len + len > TLS_MESSAGE_MAX) return -1;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len) cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    if (!grown) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

/* MD5 over two pieces: the Response Authenticator is MD5(packet with the request's authenticator,
 * then the secret), RFC 2865 §3. */
static int md5_two(struct run *run, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                   uint8_t out[16]) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned int out_len = 0;
  int ok = md && EVP_DigestInit_ex(md, run->md5, NULL) && EVP_DigestUpdate(md, a, a_len) &&
           EVP_DigestUpdate(md, b, b_len) && EVP_DigestFinal_ex(md, out, &out_len);
  EVP_MD_CTX_free(md);
  return ok && out_len == 16 ? 0 : -1;
}

static int hmac_md5(struct run *run, const uint8_t *data, size_t len, uint8_t out[16]) {
  unsigned int out_len = 0;
  if (!HMAC(run->md5, run->cfg.secret, (int)run->cfg.secret_len, data, len, out, &out_len)) return -1;
  return out_len == 16 ? 0 : -1;
}

static void put_attr(uint8_t *packet, size_t *at, uint8_t type, const uint8_t *value, size_t len) {
  packet[(*at)++] = type;
  packet[(*at)++] = (uint8_t)(len + 2);
  memcpy(packet + *at, value, len);
  *at += len;
}

static void send_packet(struct run *run, struct conv *c) {
  /* A send that fails (ECONNREFUSED from an earlier datagram) is left to the resend timer. */
  (void)send(c->fd, c->packet, c->packet_len, 0);
  run->count.requests++;
  c->sent_at_ms = now_ms();
}

/* Wraps an EAP packet in a new Access-Request and sends it (RFC 3579 §3). */
static int send_eap(struct run *run, struct conv *c, const uint8_t *eap, size_t eap_len) {
  const struct config *cfg = &run->cfg;
  uint8_t *p = c->packet;
  size_t at = RADIUS_HEADER;
  /* Room for the attributes: EAP split into 253-byte pieces, 2 header bytes each. */
  size_t need = RADIUS_HEADER + 2 + cfg->identity_len + 6 + eap_len + 2 * (eap_len / 253 + 1) +
                (c->state_len ? c->state_len + 2 : 0) + 18;
  if (need > RADIUS_MAX || ++c->rounds > ROUNDS_PER_LOGIN) return -1;

  c->radius_id++;
  /* A fresh random Request Authenticator for each request (RFC 2865 §3). */
  if (RAND_bytes(c->request_auth, 16) != 1) return -1;
  p[0] = RADIUS_ACCESS_REQUEST;
  p[1] = c->radius_id;
  memcpy(p + 4, c->request_auth, 16);

  put_attr(p, &at, ATTR_USER_NAME, (const uint8_t *)cfg->identity, cfg->identity_len);
  static const uint8_t loopback[4] = {127, 0, 0, 1};
  put_attr(p, &at, ATTR_NAS_IP_ADDRESS, loopback, 4);
  for (size_t off = 0; off < eap_len; off += 253) {
    size_t piece = eap_len - off < 253 ? eap_len - off : 253;
    put_attr(p, &at, ATTR_EAP_MESSAGE, eap + off, piece);
  }
  if (c->state_len) put_attr(p, &at, ATTR_STATE, c->state, c->state_len);
  /* Message-Authenticator: HMAC-MD5 of the whole packet with its own value zeroed (RFC 3579 §3.2). */
  static const uint8_t zeros[16] = {0};
  size_t ma_at = at + 2;
  put_attr(p, &at, ATTR_MESSAGE_AUTHENTICATOR, zeros, 16);
  p[2] = (uint8_t)(at >> 8);
  p[3] = (uint8_t)at;
  c->packet_len = at;
  if (hmac_md5(run, p, at, p + ma_at) != 0) return -1;

  c->resends = 0;
  send_packet(run, c);
  return 0;
}

/* An EAP-Response of `type` carrying `data` (RFC 3748 §4). */
static int send_response(struct run *run, struct conv *c, uint8_t eap_id, uint8_t type,
                         const uint8_t *data, size_t len) {
  uint8_t eap[5 + 5 + FRAGMENT_SIZE + 256];
  if (len + 5 > sizeof eap) return -1;
  size_t total = 5 + len;
  eap[0] = EAP_RESPONSE;
  eap[1] = eap_id;
  eap[2] = (uint8_t)(total >> 8);
  eap[3] = (uint8_t)total;
  eap[4] = type;
  if (len) memcpy(eap + 5, data, len);
  return send_eap(run, c, eap, total);
}

/* The next fragment of our TLS flight: L and the total length on the first when there are several,
 * M while more follow (RFC 5216 §2.1.5). */
static int send_fragment(struct run *run, struct conv *c, uint8_t eap_id) {
  uint8_t body[5 + FRAGMENT_SIZE];
  size_t total = c->outbound.len, sent = c->outbound_sent;
  size_t piece = total - sent < FRAGMENT_SIZE ? total - sent : FRAGMENT_SIZE;
  size_t at = 1;
  body[0] = 0;
  if (sent == 0 && total > FRAGMENT_SIZE) {
    body[0] |= TLS_FLAG_LENGTH;
    body[1] = (uint8_t)(total >> 24);
    body[2] = (uint8_t)(total >> 16);
    body[3] = (uint8_t)(total >> 8);
    body[4] = (uint8_t)total;
    at = 5;
  }
  if (sent + piece < total) body[0] |= TLS_FLAG_MORE;
  memcpy(body + at, c->outbound.data + sent, piece);
  c->outbound_sent += piece;
  if (c->outbound_sent == total) c->outbound.len = c->outbound_sent = 0;
  return send_response(run, c, eap_id, EAP_TYPE_TLS, body, at + piece);
}

/* What TLS wrote to the memory BIO becomes our flight; with none, an empty EAP-TLS response (an
 * ACK, or the answer to the server's last empty request, RFC 5216 §2.1.5 and RFC 9190 §2.5). */
static int send_tls_output(struct run *run, struct conv *c, uint8_t eap_id) {
  BIO *wbio = SSL_get_wbio(c->ssl);
  uint8_t chunk[4096];
  c->outbound.len = c->outbound_sent = 0;
  for (int i = 0; i < TLS_MESSAGE_MAX / (int)sizeof chunk && BIO_ctrl_pending(wbio) > 0; i++) {
    int n = BIO_read(wbio, chunk, sizeof chunk);
    if (n <= 0) break;
    if (buf_append(&c->outbound, chunk, (size_t)n) != 0) return -1;
  }
  if (c->outbound.len == 0) {
    static const uint8_t no_flags = 0;
    return send_response(run, c, eap_id, EAP_TYPE_TLS, &no_flags, 1);
  }
  return send_fragment(run, c, eap_id);
}

/* Moves the handshake on, and once it is done reads what follows it: the TLS 1.3 commitment byte
 * and any NewSessionTicket in the same flight (RFC 9190 §2.5), so the session callback sees them. */
static int drive_tls(struct conv *c) {
  ERR_clear_error();
  if (!SSL_is_init_finished(c->ssl)) {
    int r = SSL_do_handshake(c->ssl);
    if (r <= 0) {
      int err = SSL_get_error(c->ssl, r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return -1;
    }
  }
  if (SSL_is_init_finished(c->ssl)) {
    uint8_t data[256];
    for (int i = 0; i < 64; i++) {
      int n = SSL_read(c->ssl, data, sizeof data);
      if (n > 0) continue;
      int err = SSL_get_error(c->ssl, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_ZERO_RETURN) break;
      return -1;
    }
  }
  return 0;
}

/* An EAP-TLS Start: a new SSL object over memory BIOs, offered the last session when resuming. */
static int start_tls(struct run *run, struct conv *c) {
  if (c->ssl) SSL_free(c->ssl);
  c->ssl = SSL_new(run->ctx);
  if (!c->ssl) return -1;
  BIO *rbio = BIO_new(BIO_s_mem());
  BIO *wbio = BIO_new(BIO_s_mem());
  if (!rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    return -1;
  }
  SSL_set_bio(c->ssl, rbio, wbio);
  SSL_set_connect_state(c->ssl);
  SSL_set_app_data(c->ssl, c);
  if (run->cfg.resume && c->session && SSL_set_session(c->ssl, c->session) != 1) return -1;
  c->inbound.len = 0;
  c->outbound.len = c->outbound_sent = 0;
  return drive_tls(c);
}

/* One EAP-Request from an Access-Challenge; returns -1 when the login cannot go on. */
static int handle_eap(struct run *run, struct conv *c, const uint8_t *eap, size_t len) {
  if (len < 4 || eap[0] != EAP_REQUEST) return -1;
  size_t eap_len = ((size_t)eap[2] << 8) | eap[3];
  if (eap_len < 5 || eap_len > len) return -1;
  uint8_t eap_id = eap[1], type = eap[4];

  if (type == EAP_TYPE_IDENTITY)
    return send_response(run, c, eap_id, EAP_TYPE_IDENTITY, (const uint8_t *)run->cfg.identity,
                         run->cfg.identity_len);
  if (type != EAP_TYPE_TLS) {
    /* A Legacy Nak naming the one method we speak (RFC 3748 §5.3.1). */
    static const uint8_t want_tls = EAP_TYPE_TLS;
    return send_response(run, c, eap_id, EAP_TYPE_NAK, &want_tls, 1);
  }
  if (eap_len < 6) return -1;
  uint8_t flags = eap[5];
  const uint8_t *data = eap + 6;
  size_t data_len = eap_len - 6;
  if (flags & TLS_FLAG_LENGTH) {
    if (data_len < 4) return -1;
    data += 4;
    data_len -= 4;
  }

  if (flags & TLS_FLAG_START) {
    if (start_tls(run, c) != 0) return -1;
    return send_tls_output(run, c, eap_id);
  }
  if (!c->ssl) return -1;
  /* The server's ACK of one of our fragments: the next one (RFC 5216 §2.1.5). */
  if (c->outbound_sent > 0 && c->outbound_sent < c->outbound.len) {
    if (data_len != 0) return -1;
    return send_fragment(run, c, eap_id);
  }
  if (buf_append(&c->inbound, data, data_len) != 0) return -1;
  if (flags & TLS_FLAG_MORE) {
    static const uint8_t ack = 0;
    return send_response(run, c, eap_id, EAP_TYPE_TLS, &ack, 1);
  }
  if (c->inbound.len > 0) {
    BIO *rbio = SSL_get_rbio(c->ssl);
    if (BIO_write(rbio, c->inbound.data, (int)c->inbound.len) != (int)c->inbound.len) return -1;
    c->inbound.len = 0;
  }
  if (drive_tls(c) != 0) return -1;
  return send_tls_output(run, c, eap_id);
}

/* A new login: Identity first (RFC 3579 §3.1: the NAS starts with the peer's EAP-Response/Identity). */
static void start_login(struct run *run, struct conv *c) {
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  c->state_len = 0;
  c->rounds = 0;
  c->inbound.len = 0;
  c->outbound.len = c->outbound_sent = 0;
  c->active = 1;
  if (send_response(run, c, 0, EAP_TYPE_IDENTITY, (const uint8_t *)run->cfg.identity,
                    run->cfg.identity_len) != 0) {
    /* Nothing was sent: count the login failed; the main loop starts the next one. */
    run->count.failed++;
    c->active = 0;
  }
}

static void end_login(struct run *run, struct conv *c, int accepted) {
  if (accepted) {
    run->count.accepted++;
    if (c->ssl) {
      if (SSL_session_reused(c->ssl)) run->count.resumed++;
      /* EAP ends the TLS session without close_notify (RFC 5216 §2.1.1: EAP-Success ends it). Freed
       * as it is, OpenSSL would take that for an aborted connection and mark the session not
       * resumable; marked shut down, the session stays good for the next login. */
      SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
  } else {
    run->count.failed++;
  }
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  c->active = 0;
}

/* Checks a reply against the request in flight: Identifier, Response Authenticator (RFC 2865 §3)
 * and Message-Authenticator (RFC 3579 §3.2). Returns its length, or 0 when it fails. */
static size_t check_reply(struct run *run, struct conv *c, uint8_t *reply, size_t got) {
  if (got < RADIUS_HEADER) return 0;
  size_t len = ((size_t)reply[2] << 8) | reply[3];
  if (len < RADIUS_HEADER || len > got || reply[1] != c->radius_id) return 0;
  if (reply[0] != RADIUS_ACCESS_ACCEPT && reply[0] != RADIUS_ACCESS_REJECT &&
      reply[0] != RADIUS_ACCESS_CHALLENGE)
    return 0;

  uint8_t response_auth[16], digest[16];
  memcpy(response_auth, reply + 4, 16);
  memcpy(reply + 4, c->request_auth, 16);
  if (md5_two(run, reply, len, (const uint8_t *)run->cfg.secret, run->cfg.secret_len, digest) != 0 ||
      CRYPTO_memcmp(digest, response_auth, 16) != 0)
    return 0;

  /* The Message-Authenticator is computed with the Request Authenticator in the header, which is
   * where the reply's own authenticator now is replaced. */
  size_t ma_at = 0;
  for (size_t at = RADIUS_HEADER; at + 2 <= len;) {
    size_t alen = reply[at + 1];
    if (alen < 2 || at + alen > len) return 0;
    if (reply[at] == ATTR_MESSAGE_AUTHENTICATOR) {
      if (alen != 18) return 0;
      ma_at = at + 2;
    }
    at += alen;
  }
  if (!ma_at) return 0;
  uint8_t given[16];
  memcpy(given, reply + ma_at, 16);
  memset(reply + ma_at, 0, 16);
  if (hmac_md5(run, reply, len, digest) != 0 || CRYPTO_memcmp(digest, given, 16) != 0) return 0;
  return len;
}

/* A verified reply: Accept and Reject end the login, a Challenge carries the next EAP-Request. */
static void handle_reply(struct run *run, struct conv *c, const uint8_t *reply, size_t len) {
  if (reply[0] == RADIUS_ACCESS_ACCEPT) {
    end_login(run, c, 1);
    return;
  }
  if (reply[0] == RADIUS_ACCESS_REJECT) {
    end_login(run, c, 0);
    return;
  }
  /* Join the EAP-Message attributes in order (RFC 3579 §3.1) and keep State for the next request. */
  uint8_t eap[RADIUS_MAX];
  size_t eap_len = 0;
  c->state_len = 0;
  for (size_t at = RADIUS_HEADER; at + 2 <= len;) {
    size_t alen = reply[at + 1];
    if (reply[at] == ATTR_EAP_MESSAGE) {
      memcpy(eap + eap_len, reply + at + 2, alen - 2);
      eap_len += alen - 2;
    } else if (reply[at] == ATTR_STATE) {
      memcpy(c->state, reply + at + 2, alen - 2);
      c->state_len = alen - 2;
    }
    at += alen;
  }
  if (handle_eap(run, c, eap, eap_len) != 0) {
    ERR_clear_error();
    end_login(run, c, 0);
  }
}

static void read_replies(struct run *run, struct conv *c) {
  uint8_t reply[RADIUS_MAX];
  for (int i = 0; i < DRAIN_PER_WAKE; i++) {
    ssize_t got = recv(c->fd, reply, sizeof reply, 0);
    if (got < 0) return; /* EAGAIN, or an ICMP error: the resend timer covers a lost request */
    if (!c->active) {
      run->count.bad++; /* a late duplicate */
      continue;
    }
    size_t len = check_reply(run, c, reply, (size_t)got);
    if (!len) {
      run->count.bad++;
      continue;
    }
    handle_reply(run, c, reply, len);
  }
}

/* The conversation's session callback: the newest session wins, the previous one is let go. Returning
 * 1 keeps the reference OpenSSL handed over (SSL_CTX_sess_set_new_cb(3)). */
static int on_new_session(SSL *ssl, SSL_SESSION *session) {
  struct conv *c = SSL_get_app_data(ssl);
  if (!c) return 0;
  if (c->session) SSL_SESSION_free(c->session);
  c->session = session;
  return 1;
}

static SSL_CTX *make_ctx(const struct config *cfg) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return NULL;
  int ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) &&
           SSL_CTX_set_max_proto_version(ctx, cfg->max_version) &&
           SSL_CTX_load_verify_locations(ctx, cfg->ca, NULL) == 1 &&
           SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) == 1 &&
           SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  /* The server's certificate must chain to CA_PEM; EAP has no host name to check it against. */
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (cfg->resume) {
    /* Sessions kept per conversation by the callback, none in OpenSSL's own client cache. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  return ctx;
}

static int open_socket(const struct config *cfg) {
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)cfg->port);
  if (inet_pton(AF_INET, cfg->host, &to.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int usage(void) {
  fprintf(stderr,
          "usage: eap-tls-load HOST PORT SECRET IDENTITY CA_PEM CERT_PEM KEY_PEM TLSVER INFLIGHT SECONDS "
          "RESUME\n"
          "  HOST an IPv4 address; TLSVER 1.2 or 1.3 (the highest offered); INFLIGHT 1-1024 "
          "conversations;\n"
          "  SECONDS of back-to-back logins; RESUME 0 or 1 (offer each conversation's last session)\n");
  return 2;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg) {
  if (argc != 12) return -1;
  long port, inflight, resume;
  struct in_addr ignored;
  cfg->host = argv[1];
  if (inet_pton(AF_INET, cfg->host, &ignored) != 1) return -1;
  if (parse_int(argv[2], 1, 65535, &port) != 0) return -1;
  cfg->port = (int)port;
  cfg->secret = argv[3];
  cfg->secret_len = strlen(argv[3]);
  cfg->identity = argv[4];
  cfg->identity_len = strlen(argv[4]);
  if (cfg->secret_len == 0 || cfg->identity_len == 0 || cfg->identity_len > 253) return -1;
  cfg->ca = argv[5];
  cfg->cert = argv[6];
  cfg->key = argv[7];
  if (strcmp(argv[8], "1.2") == 0)
    cfg->max_version = TLS1_2_VERSION;
  else if (strcmp(argv[8], "1.3") == 0)
    cfg->max_version = TLS1_3_VERSION;
  else
    return -1;
  if (parse_int(argv[9], 1, 1024, &inflight) != 0) return -1;
  cfg->inflight = (int)inflight;
  char *end = NULL;
  cfg->seconds = strtod(argv[10], &end);
  if (!end || *end || end == argv[10] || !(cfg->seconds > 0) || cfg->seconds > 86400) return -1;
  if (parse_int(argv[11], 0, 1, &resume) != 0) return -1;
  cfg->resume = (int)resume;
  return 0;
}

int main(int argc, char **argv) {
  struct run run;
  memset(&run, 0, sizeof run);
  if (parse_args(argc, argv, &run.cfg) != 0) return usage();

  run.md5 = EVP_MD_fetch(NULL, "MD5", NULL);
  run.ctx = make_ctx(&run.cfg);
  if (!run.md5 || !run.ctx) {
    fprintf(stderr, "eap-tls-load: cannot set up TLS (CA, certificate, key or MD5):\n");
    ERR_print_errors_fp(stderr);
    SSL_CTX_free(run.ctx);
    EVP_MD_free(run.md5);
    return 1;
  }

  int n = run.cfg.inflight;
  struct conv *convs = calloc((size_t)n, sizeof *convs);
  struct pollfd *fds = calloc((size_t)n, sizeof *fds);
  int status = 0;
  if (!convs || !fds) {
    fprintf(stderr, "eap-tls-load: out of memory\n");
    status = 1;
    goto done;
  }
  for (int i = 0; i < n; i++) convs[i].fd = -1;
  for (int i = 0; i < n; i++) {
    convs[i].fd = open_socket(&run.cfg);
    if (convs[i].fd < 0) {
      perror("eap-tls-load: socket");
      status = 1;
      goto done;
    }
    /* Different starting Identifiers, so that the sockets' packets are told apart in a capture. */
    convs[i].radius_id = (uint8_t)(i * 37);
    fds[i].fd = convs[i].fd;
    fds[i].events = POLLIN;
  }

  double cpu0 = cpu_ms();
  double start = now_ms();
  double end = start + run.cfg.seconds * 1000.0;
  double give_up = end + OVERRUN_MS;
  for (int i = 0; i < n; i++) start_login(&run, &convs[i]);

  for (;;) {
    double t = now_ms();
    /* Resend what has waited RESEND_AFTER_MS, or give the login up (RFC 2865 §2.4 leaves the
     * retry policy to the client). */
    for (int i = 0; i < n; i++) {
      struct conv *c = &convs[i];
      if (!c->active || t - c->sent_at_ms < RESEND_AFTER_MS) continue;
      if (c->resends >= RESENDS) {
        end_login(&run, c, 0);
      } else {
        c->resends++;
        send_packet(&run, c);
      }
    }
    /* New logins start until SECONDS have passed; those in progress then are seen to their end. */
    int active = 0;
    for (int i = 0; i < n; i++) {
      if (!convs[i].active && t < end) start_login(&run, &convs[i]);
      active += convs[i].active;
    }
    if (!active || t >= give_up) break;

    /* Sleep until the next resend deadline (or the end of SECONDS) at most. */
    double next = t + RESEND_AFTER_MS;
    for (int i = 0; i < n; i++) {
      double due = convs[i].sent_at_ms + RESEND_AFTER_MS;
      if (convs[i].active && due < next) next = due;
    }
    if (t < end && end < next) next = end;
    int timeout = (int)(next - t) + 1;
    if (timeout < 0) timeout = 0;

    int ready = poll(fds, (nfds_t)n, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      perror("eap-tls-load: poll");
      status = 1;
      break;
    }
    for (int i = 0; i < n && ready > 0; i++) {
      if (!(fds[i].revents & (POLLIN | POLLERR))) continue;
      ready--;
      read_replies(&run, &convs[i]);
    }
  }
  /* Logins still running when OVERRUN_MS ran out count as failed. */
  for (int i = 0; i < n; i++)
    if (convs[i].active) end_login(&run, &convs[i], 0);

  double elapsed = (now_ms() - start) / 1000.0;
  double cpu = cpu_ms() - cpu0;
  if (status == 0) {
    struct counters *k = &run.count;
    printf("{\"logins\":%ld,\"accepted\":%ld,\"resumed\":%ld,\"failed\":%ld,\"bad\":%ld,\"requests\":%ld,"
           "\"seconds\":%.3f,\"cpu_ms_per_login\":%.4f}\n",
           k->accepted, k->accepted, k->resumed, k->failed, k->bad, k->requests, elapsed,
           k->accepted ? cpu / (double)k->accepted : 0.0);
  }

done:
  for (int i = 0; convs && i < n; i++) {
    if (convs[i].ssl) SSL_free(convs[i].ssl);
    if (convs[i].session) SSL_SESSION_free(convs[i].session);
    if (convs[i].fd >= 0) close(convs[i].fd);
    free(convs[i].inbound.data);
    free(convs[i].outbound.data);
  }
  free(convs);
  free(fds);
  SSL_CTX_free(run.ctx);
  EVP_MD_free(run.md5);
  return status;
}
