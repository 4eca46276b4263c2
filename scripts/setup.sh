#!/usr/bin/env bash
# Installs what Recupero needs on a fresh Debian 12 / Ubuntu 24.04 machine, then builds the UI.
# Idempotent: packages already present are not reinstalled. Sourced by run.sh and test.sh.
# Usage: scripts/setup.sh [--test|--package]   (--test adds what the tests need: Xvfb,
# WebKitWebDriver, a keyring, and the Windows cross-compiler and target the Windows check compiles
# with; --package what scripts/package.sh needs: the same cross-compiler and target, NSIS, rpm,
# 7-Zip, and the desktop-file and AppStream validators)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Node first: it is the one thing this script can't install by itself, so a missing or old Node
# stops it before any long work.
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if ! node_ok; then
  cat >&2 <<EOF
error: Node.js 20.19 or newer is needed to build the UI (found: $(node --version 2>/dev/null || echo none)).
       The distributions' own package is too old: Debian 12's nodejs is 18.20, Ubuntu 24.04's is
       18.19. On both, install Node 22 (LTS) from NodeSource, then run this again:

         sudo apt-get install -y curl ca-certificates
         curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash -
         sudo apt-get install -y nodejs

EOF
  exit 1
fi

BUILD_PKGS=(curl ca-certificates build-essential pkg-config libssl-dev libdbus-1-dev
            libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev)
RUN_PKGS=(gnome-keyring)
TEST_PKGS=(xvfb xauth dbus-daemon dbus-bin webkit2gtk-driver gnome-keyring python3-dbus python3-gi
           gcc-mingw-w64-x86-64 appstream desktop-file-utils nsis p7zip-full)
PACKAGE_PKGS=(gcc-mingw-w64-x86-64 nsis p7zip-full rpm appstream desktop-file-utils)
TESTING=0; PACKAGING=0
case "${1:-}" in
  --test) TESTING=1 ;;
  --package) PACKAGING=1 ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--test|--package]" >&2; exit 2 ;;
esac

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
((TESTING)) && want+=("${TEST_PKGS[@]}")
((PACKAGING)) && want+=("${PACKAGE_PKGS[@]}")

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

# Rust: rustup's cargo (~/.cargo/bin) comes first; a distro cargo older than Cargo.toml's
# rust-version is never used. Without rustup, one is installed when there is no cargo, when the
# cargo there is too old, or for the tests (the Windows check needs rustup's Windows target).
export PATH="$HOME/.cargo/bin:$PATH"
need_rust=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml)
cargo_new_enough() {
  local have
  have=$(cargo --version 2>/dev/null | awk '{print $2}') || return 1
  [[ -n "$have" ]] || return 1
  [[ "$(printf '%s\n%s\n' "$need_rust" "$have" | sort -V | head -n1)" == "$need_rust" ]]
}
if ! command -v rustup >/dev/null 2>&1 && { ((TESTING || PACKAGING)) || ! cargo_new_enough; }; then
  if command -v cargo >/dev/null 2>&1 && ! cargo_new_enough; then
    echo "==> $(command -v cargo) is $(cargo --version | awk '{print $2}'), older than the $need_rust this project needs: installing rustup's"
  fi
  echo "==> installing the Rust toolchain (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
  hash -r
fi
if command -v rustup >/dev/null 2>&1; then
  # The toolchain rust-toolchain.toml names, with its components and targets: rustup >= 1.28
  # installs it with no argument (and does nothing, offline, when it is there); older ones
  # refuse that and install it on first use instead, which `rustup show` triggers.
  rustup toolchain install || rustup show >/dev/null
  if ((TESTING)); then
    # Fetched from rustup's server, not a package registry: where that can't be reached, the
    # test command says the Windows check was skipped instead of failing every other test.
    rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu \
      || echo "warning: could not install the x86_64-pc-windows-gnu target; the Windows check will be skipped" >&2
  fi
  if ((PACKAGING)); then
    rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
  fi
fi
if ! cargo_new_enough; then
  echo "error: cargo $need_rust or newer is needed (found: $(cargo --version 2>/dev/null || echo none))." >&2
  exit 1
fi

if ((TESTING)); then
  # The Shopify schema check's tools (graphql-js and Shopify's Admin schema from
  # @shopify/dev-mcp), pinned by tools/shopify-schema/package-lock.json; no install scripts run.
  echo "==> installing the Shopify schema check (tools/shopify-schema)"
  (cd tools/shopify-schema && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

echo "==> building the UI (ui/dist)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
