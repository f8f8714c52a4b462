#!/usr/bin/env bash
# Installs Debian's chromium and fonts-noto-cjk for the browser tests, when missing and when we can (root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "browser: chromium/fonts-noto-cjk missing and not root: browser tests will skip (fail under CI=true)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q chromium fonts-noto-cjk >/dev/null
