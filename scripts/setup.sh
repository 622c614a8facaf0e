#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine:
# system packages (apt) and Rust components. Idempotent and quick when
# everything is already there. Used by scripts/run.sh and scripts/test.sh.
set -euo pipefail

# keyring's Secret Service backend links libdbus; the keyring tests run a
# real gnome-keyring-daemon inside dbus-run-session.
# bubblewrap sandboxes the agent's run_command tool.
APT_PACKAGES=(
  pkg-config libdbus-1-dev
  dbus dbus-x11 gnome-keyring libsecret-tools
  bubblewrap
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Node runs the AI SDK conformance test (tests/ai-sdk); the machine image
# ships Node 20, Debian's nodejs is the fallback.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ ! -d "$root/tests/ai-sdk/node_modules/ai" ]]; then
  npm ci --prefix "$root/tests/ai-sdk" --no-audit --no-fund --loglevel=error
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust stable with rustup first" >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
    rustup component add "$component"
  fi
done
