#!/usr/bin/env bash
# Installs what Recupero needs on a fresh Debian 12 / Ubuntu 24.04 machine, then builds the UI.
# Idempotent: packages already present are not reinstalled. Sourced by run.sh and test.sh.
# Usage: scripts/setup.sh [--test]   (--test adds what the tests need: Xvfb, WebKitWebDriver, a keyring)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_PKGS=(build-essential pkg-config libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
            libayatana-appindicator3-dev librsvg2-dev)
RUN_PKGS=(gnome-keyring)
TEST_PKGS=(xvfb xauth dbus-daemon dbus-bin webkit2gtk-driver gnome-keyring python3-dbus python3-gi)

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${TEST_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing system packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  [[ -x "$HOME/.cargo/bin/cargo" ]] || {
    echo "==> installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  }
  export PATH="$HOME/.cargo/bin:$PATH"
fi

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if ! node_ok; then
  echo "error: Node.js 20.19 or newer is needed to build the UI (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "       Debian 12's own nodejs is 18; install Node 20+ (e.g. from NodeSource) and run again." >&2
  exit 1
fi

echo "==> building the UI (ui/dist)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
