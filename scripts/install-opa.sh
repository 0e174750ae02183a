#!/usr/bin/env bash
# Installs the pinned OPA CLI into the tools folder (cached across clones, so CI on the same machine reuses
# it). Needs Go and the Go module proxy. Prints the path of the opa binary on stdout.
set -euo pipefail
OPA_VERSION="${OPA_VERSION:-v1.22.3}"
bin="${COMPLYWISE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/complywise}/opa-${OPA_VERSION}"
opa="$bin/opa"

# Read the whole version output before matching: `opa version | grep -q` under pipefail fails whenever grep
# exits early and opa gets SIGPIPE, which used to trigger a rebuild under a binary others were running.
is_pinned() { [ -x "$opa" ] && [[ "$("$opa" version 2>/dev/null)" == *"Version: ${OPA_VERSION#v}"* ]]; }

is_pinned && { echo "$opa"; exit 0; }
command -v go >/dev/null || { echo "install-opa: Go is required to build OPA ${OPA_VERSION}" >&2; exit 1; }
mkdir -p "$bin"
# One build at a time; whoever waited finds the binary there.
exec 9>"$bin/.lock"
flock 9
if ! is_pinned; then
  echo "install-opa: building OPA ${OPA_VERSION} with go install (first time only)" >&2
  tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
  mv -f "$tmp/opa" "$opa" # atomic replace: running processes keep their old inode
  rmdir "$tmp"
  is_pinned || { echo "install-opa: built opa is not ${OPA_VERSION}" >&2; exit 1; }
fi
echo "$opa"
