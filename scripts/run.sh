#!/usr/bin/env bash
# Runs the product: the desktop shell (tao/wry window, the renderer build
# from web/dist compiled into it, the supervised AgentHost) when a display is
# available; without one, the headless host (`agent-host launch`, which
# starts `agent-host serve` through the same spawn-and-handshake code and
# keeps it alive until Ctrl-C). Extra arguments go to whichever runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The renderer first: agent-shell compiles web/dist into itself (build.rs).
npm --prefix web run build >/dev/null
cargo build --release --locked -p agent-host -p agent-shell
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  exec target/release/agent-shell "$@"
fi
echo "run: no display; starting the headless host (agent-host launch)" >&2
exec target/release/agent-host launch "$@"
