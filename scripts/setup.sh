#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine:
# system packages (apt) and Rust components. Idempotent and quick when
# everything is already there. Used by scripts/run.sh and scripts/test.sh.
set -euo pipefail

# A C toolchain builds the bundled SQLite; keyring's Secret Service backend
# links libdbus; the keyring tests run a
# real gnome-keyring-daemon inside dbus-run-session.
# bubblewrap sandboxes the agent's run_command tool; chromium runs the
# renderer's end-to-end test (driven by playwright-core, no browser download);
# WebKitGTK, GTK and libsoup build the tao/wry shell, Xvfb runs its
# windows in tests, ImageMagick takes and checks their screenshots, and
# xdotool clicks in them (external links open only from a real click).
# python3-venv holds the API fuzzer (schemathesis, tests/api-fuzz).
APT_PACKAGES=(
  build-essential pkg-config libdbus-1-dev
  dbus dbus-x11 gnome-keyring libsecret-tools
  bubblewrap
  chromium
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev xvfb xauth
  imagemagick
  python3-venv
  xdotool
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

# Node runs the renderer's build and tests (web/) and the AI SDK
# conformance test (tests/ai-sdk). Vite 8 and Vitest 4 need Node >= 20.19,
# which the project's machine image ships; Debian 12's own nodejs (18) is
# too old, so a missing or old Node is an error, not a silent downgrade.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: Node.js >= 20.19 with npm is required (not found)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js >= 20.19 is required, found $(node --version)" >&2
  exit 1
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ ! -d "$root/tests/ai-sdk/node_modules/ai" ]]; then
  npm ci --prefix "$root/tests/ai-sdk" --no-audit --no-fund --loglevel=error
fi
if [[ ! -d "$root/web/node_modules/vite" || ! -d "$root/web/node_modules/playwright-core" ]]; then
  npm ci --prefix "$root/web" --no-audit --no-fund --loglevel=error
fi

# The API fuzzer (tests/api-fuzz): schemathesis from PyPI, pinned, in a
# project-local venv under target/ (ignored by git), reinstalled when the
# pin changes.
fuzz_venv="$root/target/api-fuzz-venv"
fuzz_requirements="$root/tests/api-fuzz/requirements.txt"
if ! cmp -s "$fuzz_requirements" "$fuzz_venv/requirements.txt"; then
  rm -rf "$fuzz_venv"
  python3 -m venv "$fuzz_venv"
  "$fuzz_venv/bin/pip" install --quiet --disable-pip-version-check -r "$fuzz_requirements"
  cp "$fuzz_requirements" "$fuzz_venv/requirements.txt"
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
