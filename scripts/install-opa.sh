#!/usr/bin/env bash
# Installs the pinned OPA CLI into the tools folder (cached across clones, so CI on the same machine reuses
# it). Needs Go and the Go module proxy.
# Prints the path of the opa binary on stdout.
set -euo pipefail
OPA_VERSION="${OPA_VERSION:-v1.22.3}"
bin="${COMPLYWISE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/complywise}/opa-${OPA_VERSION}"
opa="$bin/opa"
if [ -x "$opa" ] && "$opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
  echo "$opa"; exit 0
fi
command -v go >/dev/null || { echo "install-opa: Go is required to build OPA ${OPA_VERSION}" >&2; exit 1; }
mkdir -p "$bin"
echo "install-opa: building OPA ${OPA_VERSION} with go install (first time only)" >&2
CGO_ENABLED=0 GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
"$opa" version | grep -q "^Version: ${OPA_VERSION#v}$" || { echo "install-opa: built opa is not ${OPA_VERSION}" >&2; exit 1; }
echo "$opa"
