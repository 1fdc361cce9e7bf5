#!/usr/bin/env bash
# Installs the real peers that integration/e2e tests and the bench run against
# (DESIGN.md "Real components for tests"), and makes sure Redis answers on
# 127.0.0.1:6379. Idempotent: does nothing when everything is already there.
#
#   prometheus, promtool        Debian package prometheus (2.42)
#   alertmanager, amtool        Debian package prometheus-alertmanager (0.25);
#                               Debian names the binary prometheus-alertmanager
#   loki                        Debian package loki (2.4)
#   vmagent                     Debian package victoria-metrics (1.79)
#   redis-server, redis-cli     Debian package redis-server
#   kubectl                     Debian package kubernetes-client (the manifest
#                               test runs `kubectl kustomize`; any kubectl does)
#
# Tests never rely on fixed ports: a system prometheus/alertmanager service
# that the packages may start (9090/9093) is left alone and is harmless.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

log() { printf 'install-peers: %s\n' "$*" >&2; }

SUDO=''
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO='sudo -E'; else
    log 'not root and no sudo: cannot install packages'
  fi
fi

has() { command -v "$1" >/dev/null 2>&1; }

has_alertmanager() { has alertmanager || has prometheus-alertmanager; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log 'apt-get update'
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install -y $*"
  $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
for bin in prometheus promtool amtool loki vmagent; do
  has "$bin" || missing+=("$bin")
done
has_alertmanager || missing+=(alertmanager)

if [ "${#missing[@]}" -gt 0 ]; then
  log "missing: ${missing[*]}"
  apt_install prometheus prometheus-alertmanager loki victoria-metrics
else
  log 'prometheus, promtool, alertmanager, amtool, loki, vmagent: present'
fi

has kubectl || apt_install kubernetes-client

# Redis on 127.0.0.1:6379 (state store tests). Start a throwaway instance
# only when nothing answers there.
redis_ping() { has redis-cli && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = 'PONG' ]; }

if redis_ping; then
  log 'redis: answering on 127.0.0.1:6379'
else
  if ! has redis-server || ! has redis-cli; then
    apt_install redis-server redis-tools
  fi
  if ! redis_ping; then
    log 'redis: starting redis-server on 127.0.0.1:6379'
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no
    for _ in $(seq 1 50); do
      redis_ping && break
      sleep 0.1
    done
  fi
  if redis_ping; then
    log 'redis: answering on 127.0.0.1:6379'
  else
    log 'redis: still not answering on 127.0.0.1:6379'
    exit 1
  fi
fi

for bin in prometheus promtool amtool loki vmagent kubectl; do
  if ! has "$bin"; then
    log "still missing after install: $bin"
    exit 1
  fi
done
if ! has_alertmanager; then
  log 'still missing after install: alertmanager (prometheus-alertmanager)'
  exit 1
fi
# Debian's package named `loki` is not Grafana Loki on every release (on
# bookworm it is a genetics tool, "MCMC linkage analysis"): say so loudly.
if ! loki -version 2>&1 | grep -qi 'loki, version'; then
  log "WARNING: $(command -v loki) is not Grafana Loki ($(loki -version 2>&1 | head -n1)); Loki tests need Grafana Loki (set LOKI_BIN)"
fi
log "ok: $(prometheus --version 2>&1 | head -n1)"
