#!/usr/bin/env bash
# The full test suite, from a clean clone: installs what it needs (Node 24, npm packages, OPA, Chromium),
# makes sure PostgreSQL runs, then checks formatting, lint, types, the committed rule bundle, and runs
# every test against PGlite and real PostgreSQL.
#
# --fast: the quick check to run many times a day (docs/testing.md): format, lint and types through their
# caches (only what changed is checked again), then the tests that need no database, no browser and no
# rule-bundle compilation. It skips PostgreSQL and Chromium, svelte-check, the app build and the bundle check.
# Any other argument goes to vitest (a file, -t 'name', --changed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
fast=0
vitest_args=()
for arg in "$@"; do
  if [ "$arg" = --fast ]; then fast=1; else vitest_args+=("$arg"); fi
done
source scripts/node-env.sh
scripts/install-deps.sh
export COMPLYWISE_OPA="$(scripts/install-opa.sh)"
if [ "$fast" = 1 ]; then
  export COMPLYWISE_TEST_FAST=1
  cache=node_modules/.cache/complywise-checks
  mkdir -p "$cache"
else
  scripts/ensure-services.sh
  export COMPLYWISE_TEST_POSTGRES_URL="${COMPLYWISE_TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/test}"
fi

step() { printf '\n== %s\n' "$*"; }
# One command per line: under `set -e` a failure on the left of `&&` would not stop the script.
step "format and lint"
if [ "$fast" = 1 ]; then
  # The type check runs beside format and lint (one core each; on a fresh clone, with no caches, each takes
  # 15-30 s); its output is shown after theirs.
  npx tsc -p tsconfig.json --incremental --tsBuildInfoFile "$cache/tsbuildinfo" >"$cache/tsc.out" 2>&1 &
  tsc_pid=$!
  # A format or lint failure ends the script: the type check goes with it.
  trap 'kill "$tsc_pid" 2>/dev/null || true' EXIT
  npx prettier --check --cache --cache-location "$cache/prettier" .
  npx eslint --cache --cache-location "$cache/eslint" .
  step "types"
  tsc_status=0
  wait "$tsc_pid" || tsc_status=$?
  trap - EXIT
  cat "$cache/tsc.out"
  if [ "$tsc_status" != 0 ]; then exit "$tsc_status"; fi
  # The app's tests need the tsconfig SvelteKit generates (svelte-check does this in the full run).
  (cd app && npx svelte-kit sync)
  step "tests (no database, no browser, no rule-bundle build)"
else
  npx prettier --check .
  npx eslint .
  step "types"
  npx tsc -p tsconfig.json
  npm run check -w app --silent
  step "rule bundle is reproducible"
  # The check builds the whole rule tree (opa check, opa test, opa build); its staging folder is kept and
  # becomes the test run's one whole-tree build (test/rule-build.ts), instead of a second build in the run.
  checked_rules="$(mktemp -d)"
  trap 'rm -rf "$checked_rules"' EXIT
  node bin/complywise.ts rules build --check --build-dir "$checked_rules/build"
  export COMPLYWISE_TEST_CHECKED_RULE_BUILD="$checked_rules/build"
  step "app build"
  npm run build -w app --silent -- --logLevel warn
  step "tests (PGlite and PostgreSQL)"
fi
mkdir -p .test-artifacts
rm -f .test-artifacts/vitest-alone.json
status=0
# The whole suite: files marked `// alone: <why>` (vitest.config.ts) run after the others, on their own.
alone=()
if [ "$fast" = 0 ] && [ ${#vitest_args[@]} = 0 ]; then
  mapfile -t alone < <(grep -rlE --include='*.test.ts' --exclude-dir=node_modules '^// alone: ' \
    api engine scanners schemas frameworks rules bin scripts test app/src | sort)
fi
COMPLYWISE_TEST_DEFER_ALONE=$([ ${#alone[@]} -gt 0 ] && echo 1 || echo 0) \
  npx vitest run --reporter=default --reporter=json --outputFile.json=.test-artifacts/vitest.json \
  ${vitest_args[@]+"${vitest_args[@]}"} || status=$?
if [ ${#alone[@]} -gt 0 ]; then
  step "tests that run alone: ${alone[*]}"
  npx vitest run --reporter=default --reporter=json --outputFile.json=.test-artifacts/vitest-alone.json \
    "${alone[@]}" || status=$?
fi
# Why the reference tier was skipped, when it was (test/reference.ts puts the reason in the names of the tests
# it skips), then one plain closing line for CI alone on its line: "tests: N passed, N failed, N skipped".
node -e '
  const fs = require("node:fs");
  const reports = [".test-artifacts/vitest.json", ".test-artifacts/vitest-alone.json"]
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, "utf8")));
  const sum = (key) => reports.reduce((n, report) => n + report[key], 0);
  const r = {
    testResults: reports.flatMap((report) => report.testResults),
    numPassedTests: sum("numPassedTests"),
    numFailedTests: sum("numFailedTests"),
    numPendingTests: sum("numPendingTests"),
  };
  const reasons = new Set(
    r.testResults
      .flatMap((f) => f.assertionResults)
      .filter((t) => t.status !== "passed" && t.status !== "failed")
      .map((t) => /\[(reference tier skipped: [^\]]+)\]/.exec(t.fullName)?.[1])
      .filter(Boolean),
  );
  for (const reason of reasons) console.log(reason);
  // A file that fails outside its tests (a failing beforeAll, an import error) counts as one failure too.
  const brokenFiles = r.testResults.filter(
    (f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed"),
  ).length;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed, ${r.numPendingTests} skipped`);
' || true
exit "$status"
