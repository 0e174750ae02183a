#!/usr/bin/env bash
# Makes sure the machine services the full test suite needs are there:
# PostgreSQL running on 127.0.0.1:5432, Debian's Chromium at /usr/bin/chromium, and poppler-utils
# (pdftotext, pdftoppm) for the report tests, which read generated PDFs without our PDF library.
set -euo pipefail

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_ready; then
  echo "ensure-services: starting PostgreSQL" >&2
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "ensure-services: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi

if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
  echo "ensure-services: installing Debian's poppler-utils for the report tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq poppler-utils >&2
fi
