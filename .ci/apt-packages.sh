#!/bin/sh
# Installs the Debian/Ubuntu packages the interop tests drive: FreeRADIUS (server, radtest,
# radclient), eapol_test, pyrad, tshark, radsecproxy (RADIUS/TLS), openssl (test certificates),
# systemd (systemd-analyze checks deploy/aioradius.service), slapd + ldap-utils (the LDAP user back
# end; slappasswd), whois (mkpasswd: crypt hashes), postgresql and redis-server (the shared stores
# of several instances), nginx + libnginx-mod-stream (a UDP load balancer in front of them) and gcc +
# libssl-dev (the benchmark's C EAP-TLS peer).
# Idempotent: apt-get runs only when something is missing. Run as root, or as the user that runs the tests (it then uses sudo, and lets that
# user read the stock FreeRADIUS config and capture on lo).
#
# --no-install-recommends is enough: freeradius-config depends on ssl-cert and openssl (the
# snakeoil certificate the stock eap module loads) and wireshark-common on libcap2-bin; the
# recommends left out are libdbi-perl and the wireshark GUI.
set -eu

if [ "$(id -u)" -eq 0 ]; then
  SUDO=
else
  SUDO=sudo
fi

missing=
for bin in freeradius radtest radclient eapol_test tshark radsecproxy openssl systemd-analyze slapd slapadd slappasswd ldapadd mkpasswd redis-server nginx; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    missing="$missing $bin"
  fi
done
if [ ! -x /usr/lib/postgresql/15/bin/postgres ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  missing="$missing postgresql"
fi
if [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  missing="$missing libnginx-mod-stream"
fi
# The benchmark's C EAP-TLS peer (bench/eap-tls-load.c), which test/bench/c-peer.test.ts builds.
if ! command -v cc >/dev/null 2>&1 || [ ! -e /usr/include/openssl/ssl.h ]; then
  missing="$missing gcc libssl-dev"
fi
if ! /usr/bin/python3 -c 'import pyrad.client' >/dev/null 2>&1; then
  missing="$missing pyrad"
fi

if [ -n "$missing" ]; then
  echo "apt-packages: missing:$missing; installing"
  $SUDO apt-get update
  # slapd's package asks for an admin password; noninteractive takes its defaults (the tests run
  # their own slapd with a private config and never use the packaged database).
  # tshark's package asks whether non-root users may capture; answer it so the install never blocks.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | $SUDO debconf-set-selections
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    freeradius freeradius-utils freeradius-common eapoltest python3-pyrad tshark radsecproxy openssl systemd \
    slapd ldap-utils whois postgresql redis-server nginx libnginx-mod-stream gcc libc6-dev libssl-dev
  # Some images start the service on install; the tests run their own instances on other ports.
  for service in freeradius radsecproxy slapd postgresql redis-server nginx; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
      $SUDO systemctl stop "$service" || true
    fi
  done
else
  echo "apt-packages: every peer binary is present"
fi

if [ "$(id -u)" -ne 0 ]; then
  # The tests copy /etc/freeradius/3.0 (mode 2750 freerad) and capture with dumpcap: grant both
  # to the unprivileged test user. Both steps are idempotent.
  $SUDO chmod -R o+rX /etc/freeradius
  $SUDO setcap cap_net_raw,cap_net_admin+eip /usr/bin/dumpcap
fi
