#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked, unless node_modules already matches the lock file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamp="node_modules/.complywise-lock.sha256"
want="$( (sha256sum package-lock.json; node -v) | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "install-deps: npm ci" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
# SvelteKit writes generated types (and the tsconfig the app extends) into node_modules; npm ci wipes them.
(cd app && npx svelte-kit sync) >&2
echo "$want" > "$stamp"
