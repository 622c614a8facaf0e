#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, the whole workspace's tests
# (real host binary over loopback, real SQLite files), and the keyring store
# against a real gnome-keyring-daemon on a private session bus.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# First: agent-shell embeds web/dist (shell/build.rs), so clippy and every
# cargo build below must see a fresh renderer build.
echo "== web renderer: build (embedded into agent-shell)" >&2
npm --prefix web run build

echo "== web renderer: lint" >&2
npm --prefix web run lint

# A one-shot build gains nothing from incremental artefacts, which would
# roughly double the size of target/ (CI disks are small).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== cargo fmt --check" >&2
cargo fmt --all --check

# The shell's test hooks (control socket, self-test) exist only with its
# `test-hooks` feature, which every test build turns on; a release shell is
# built without it. Clippy sees both: the workspace with the hooks, the
# shell alone without them (the other half of each cfg).
TEST_FEATURES=(--features agent-shell/test-hooks)

echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked "${TEST_FEATURES[@]}" -- -D warnings
cargo clippy -p agent-shell --all-targets --locked -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
  run_tests() { cargo nextest run --locked --no-fail-fast "$@"; }
  run_ignored() { cargo nextest run --locked "$@" --run-ignored only; }
else
  run_tests() { cargo test --locked --no-fail-fast "$@"; }
  run_ignored() { cargo test --locked "$@" -- --ignored; }
fi

echo "== web renderer: unit tests" >&2
npm --prefix web test

echo "== web renderer: end-to-end in headless Chromium against the real host" >&2
cargo build --locked -p agent-host -p agent-provider --features agent-provider/scripted --bins
# What CI keeps (PNGs only, about 2 MB): every screen light and dark with
# screens.json and an index.html gallery, and each e2e file's screenshots
# (a failing test's page included). Printed even when the e2e run fails.
ARTIFACTS_DIR="$PWD/target/ci-artifacts"
rm -rf "$ARTIFACTS_DIR/screens" "$ARTIFACTS_DIR/e2e"
e2e_status=0
E2E_SCREENS="$ARTIFACTS_DIR/screens" E2E_ARTIFACTS="$ARTIFACTS_DIR/e2e" npm --prefix web run e2e || e2e_status=$?
echo "== e2e artifacts: $ARTIFACTS_DIR/screens/index.html (screens.json beside it), $ARTIFACTS_DIR/e2e/<test file>/*.png" >&2
if [ "$e2e_status" -ne 0 ]; then exit "$e2e_status"; fi

echo "== API fuzzing: schemathesis against the live host's OpenAPI" >&2
target/api-fuzz-venv/bin/python tests/api-fuzz/run.py --max-examples 20

echo "== keyring store against a real Secret Service" >&2
cargo build --locked -p agent-host --tests
export -f run_ignored
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n agent-host-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  AGENT_HOST_KEYRING_TEST=1 run_ignored -p agent-host --test it keyring::
'

echo "== workspace tests" >&2
run_tests --workspace "${TEST_FEATURES[@]}"
