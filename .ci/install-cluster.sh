#!/usr/bin/env bash
# Installs Debian's nginx and PostgreSQL server binaries for `make cluster` and its tests, when missing and when we
# can (root). The system's own services stay as they were: the cluster runs its own nginx and PostgreSQL under
# var/cluster/ on loopback ports, so a freshly installed package must not start its service.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 || missing+=(postgresql)
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "cluster: ${missing[*]} missing and not root: cluster tests will skip (fail under CI=true)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Debian starts a service when its package is installed unless policy-rc.d says no: say no for this install only.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
apt-get update -q >/dev/null
apt-get install -y -q "${missing[@]}" >/dev/null
