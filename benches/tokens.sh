#!/usr/bin/env bash
# The token benchmark over the real test servers (everything, filesystem, memory, git, time).
#   scripts/install-test-servers && cargo build --release -p mcpscript
#   benches/tokens.sh [--synthetic N] [--json]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
set -a
# shellcheck disable=SC1091
source "$root/.test-servers/env"
set +a
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git init -q -b main "$dir/repo"
cat > "$dir/mcp_config.json" <<JSON
{"mcpServers": {
  "everything": {"command": "$MCPSCRIPT_TEST_NODE", "args": ["$MCPSCRIPT_TEST_EVERYTHING"]},
  "filesystem": {"command": "$MCPSCRIPT_TEST_NODE", "args": ["$MCPSCRIPT_TEST_FILESYSTEM", "$dir"]},
  "memory": {"command": "$MCPSCRIPT_TEST_NODE", "args": ["$MCPSCRIPT_TEST_MEMORY"], "env": {"MEMORY_FILE_PATH": "$dir/memory.jsonl"}},
  "git": {"command": "$MCPSCRIPT_TEST_GIT", "args": ["--repository", "$dir/repo"]},
  "time": {"command": "$MCPSCRIPT_TEST_TIME", "args": ["--local-timezone", "UTC"]}
}}
JSON
"${MCPSCRIPT:-$root/target/release/mcpscript}" --config "$dir/mcp_config.json" -q \
  bench tokens --tasks "$root/benches/tasks.json" "$@"
