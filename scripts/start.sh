#!/usr/bin/env bash
# Installs and starts the whole product on the embedded defaults: PGlite, the filesystem evidence store,
# and a demo tenant scanning the bundled AWS sandbox. Prints the URL and the demo login.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/node-env.sh
scripts/install-deps.sh
npm run build -w app --silent >/dev/null
exec node api/src/main.ts
