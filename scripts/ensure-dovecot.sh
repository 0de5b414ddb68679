#!/usr/bin/env bash
# `npm run demo` needs Debian's dovecot-imapd binary (the demo starts its own throwaway Dovecot on loopback;
# the system service is never used). Installs it when missing and we are root; otherwise says how.
set -euo pipefail
[[ -x /usr/sbin/dovecot ]] && exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "The demo needs Dovecot: run  sudo apt-get install -y dovecot-imapd  (Debian/Ubuntu), then npm run demo again." >&2
  exit 1
fi
echo "Installing dovecot-imapd (the demo starts its own Dovecot on 127.0.0.1; the system service stays off) ..." >&2
policy=/usr/sbin/policy-rc.d
own_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=true
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null
if $own_policy; then rm -f "$policy"; fi
