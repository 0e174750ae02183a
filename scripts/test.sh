#!/usr/bin/env bash
# The full test suite, from a clean clone: installs what it needs (Node 24, npm packages, OPA, Chromium),
# makes sure PostgreSQL runs, then checks formatting, lint, types, the committed rule bundle, and runs
# every test against PGlite and real PostgreSQL.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/node-env.sh
scripts/install-deps.sh
export COMPLYWISE_OPA="$(scripts/install-opa.sh)"
scripts/ensure-services.sh
export COMPLYWISE_TEST_POSTGRES_URL="${COMPLYWISE_TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/test}"

step() { printf '\n== %s\n' "$*"; }
# One command per line: under `set -e` a failure on the left of `&&` would not stop the script.
step "format and lint"
npx prettier --check .
npx eslint .
step "types"
npx tsc -p tsconfig.json
npm run check -w app --silent
step "rule bundle is reproducible"
node bin/complywise.ts rules build --check
step "app build"
npm run build -w app --silent -- --logLevel warn
step "tests (PGlite and PostgreSQL)"
mkdir -p .test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-artifacts/vitest.json "$@" || status=$?
# One plain closing line for CI: "N passed, N failed, N skipped", and why the reference tier was skipped
# when it was (test/reference.ts puts the reason in the names of the tests it skips).
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(".test-artifacts/vitest.json", "utf8"));
  const reasons = new Set(
    r.testResults
      .flatMap((f) => f.assertionResults)
      .filter((t) => t.status !== "passed" && t.status !== "failed")
      .map((t) => /\[(reference tier skipped: [^\]]+)\]/.exec(t.fullName)?.[1])
      .filter(Boolean),
  );
  const why = [...reasons].map((reason) => `; ${reason}`).join("");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped${why}`);
' || true
exit "$status"
