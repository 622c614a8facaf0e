#!/usr/bin/env bash
# Runs the product: the desktop shell (tao/wry window, the embedded default
# renderer from web/, the supervised AgentHost) when a display is available;
# without one, the headless host (`agent-host launch`, which starts
# `agent-host serve` through the same spawn-and-handshake code and keeps it
# alive until Ctrl-C). Extra arguments go to whichever runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p agent-host -p agent-shell
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  npm --prefix web run build >/dev/null
  exec target/release/agent-shell --renderer-dir web/dist "$@"
fi
echo "run: no display; starting the headless host (agent-host launch)" >&2
exec target/release/agent-host launch "$@"
