#!/usr/bin/env bash
# Runs the product. Until the desktop shell lands, that is the headless
# AgentHost: `agent-host launch` starts `agent-host serve` through the same
# spawn-and-handshake code the shell will use and keeps it alive until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p agent-host
exec target/release/agent-host launch "$@"
