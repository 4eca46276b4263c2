#!/usr/bin/env bash
# Builds every installer a Linux machine like CI's (Debian 12, x86_64) can build, into
# target/packages/:
#   Recupero_<version>_amd64.deb          Debian 12+, Ubuntu 22.04+   (Tauri bundler)
#   Recupero-<version>-1.x86_64.rpm       Fedora 40+                  (Tauri bundler)
#   Recupero_<version>_x64-setup.exe      Windows 10/11, per user     (NSIS, cross-built)
#   <each installer>.sig                  its minisign signature, for the in-app updater
#   latest.json                           the update manifest (when RECUPERO_RELEASE_URL is set)
# and prints their sizes. AppImage is left out: its tools download at build time.
#
# Signing (the in-app updater installs only what this key signed):
#   RECUPERO_SIGNING_KEY           the private key file made by `tauri signer generate` (README,
#                                  "Updates"); its public half, KEY.pub, beside it
#   RECUPERO_SIGNING_KEY_PASSWORD  its password (empty when it has none)
# Without RECUPERO_SIGNING_KEY a throwaway key pair is made in target/packages/throwaway-key/: the
# packages work, but only builds carrying that same throwaway public key accept their updates.
#
# Optional: RECUPERO_RELEASE_URL=https://example.org/recupero/0.1.0 (where the files will be
# published) writes latest.json with that base; RECUPERO_UPDATE_NOTES its notes.
# --linux-only skips the Windows setup.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WINDOWS=1
[[ "${1:-}" == "--linux-only" ]] && WINDOWS=0

bash scripts/setup.sh --package
export PATH="$HOME/.cargo/bin:$PATH"
OUT=target/packages
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)
python3 scripts/check_packaging.py
mkdir -p "$OUT"
rm -f "$OUT"/*.deb "$OUT"/*.rpm "$OUT"/*.exe "$OUT"/*.sig "$OUT"/latest.json
TAURI=ui/node_modules/.bin/tauri
started=$(date +%s)

# --- the update key -------------------------------------------------------------------------
if [[ -n "${RECUPERO_SIGNING_KEY:-}" ]]; then
  KEY="$RECUPERO_SIGNING_KEY"
  [[ -f "$KEY" && -f "$KEY.pub" ]] || { echo "error: $KEY or $KEY.pub is missing" >&2; exit 1; }
else
  KEY="$OUT/throwaway-key/updater.key"
  if [[ ! -f "$KEY" ]]; then
    mkdir -p "$(dirname "$KEY")"
    "$TAURI" signer generate --ci --password "" --write-keys "$KEY" >/dev/null
  fi
  RECUPERO_SIGNING_KEY_PASSWORD=""
  echo "==> WARNING: no RECUPERO_SIGNING_KEY: signing with the throwaway key $KEY."
  echo "    Fine for trying the packages; a release must be signed with the project's own key."
fi
# The bundler and `tauri signer sign` read the key from these; the build embeds the public half,
# which is what the app verifies every update against.
TAURI_SIGNING_PRIVATE_KEY="$(cat "$KEY")"
TAURI_SIGNING_PRIVATE_KEY_PASSWORD="${RECUPERO_SIGNING_KEY_PASSWORD:-}"
RECUPERO_UPDATE_PUBKEY="$(cat "$KEY.pub")"
export TAURI_SIGNING_PRIVATE_KEY TAURI_SIGNING_PRIVATE_KEY_PASSWORD RECUPERO_UPDATE_PUBKEY

sign() { # FILE -> FILE.sig, bound to this version (the app refuses a signature for another one)
  rm -f "$1.sig"
  "$TAURI" signer sign --app-version "$VERSION" "$1" >/dev/null
  [[ -s "$1.sig" ]] || { echo "error: no signature was written for $1" >&2; exit 1; }
}

# --- Linux: .deb and .rpm through the Tauri bundler -------------------------------------------
echo "==> building the .deb and the .rpm (release build; ~10 min on two cores when cold)"
extra=()
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
  # tauri.conf.json takes the tray binary from target/release: point it at this target folder.
  tray="$(realpath "$CARGO_TARGET_DIR")/release/recupero-tray"
  files="{\"/usr/bin/recupero-tray\":\"$tray\"}"
  extra=(--config "{\"bundle\":{\"linux\":{\"deb\":{\"files\":$files},\"rpm\":{\"files\":$files}}}}")
fi
"$TAURI" build --ci --bundles deb,rpm "${extra[@]}"
BUNDLE="${CARGO_TARGET_DIR:-target}/release/bundle"
deb=$(ls -t "$BUNDLE"/deb/*_"$VERSION"_amd64.deb | head -n1)
rpm=$(ls -t "$BUNDLE"/rpm/*-"$VERSION"-1.x86_64.rpm | head -n1)
cp "$deb" "$rpm" "$OUT/"
for f in "$deb" "$rpm"; do sign "$OUT/$(basename "$f")"; done

# --- Windows: the setup .exe, cross-built --------------------------------------------------------
if ((WINDOWS)); then
  echo "==> building the Windows setup (x86_64-pc-windows-gnu + NSIS)"
  bash scripts/package-windows.sh
  setup="$OUT/Recupero_${VERSION}_x64-setup.exe"
  [[ -f "$setup" ]] || { echo "error: scripts/package-windows.sh left no $setup" >&2; exit 1; }
  sign "$setup"
fi

# --- the update manifest -------------------------------------------------------------------
if [[ -n "${RECUPERO_RELEASE_URL:-}" ]]; then
  python3 scripts/update_manifest.py "$OUT" "$VERSION" "$RECUPERO_RELEASE_URL" "${RECUPERO_UPDATE_NOTES:-}"
else
  echo "==> no RECUPERO_RELEASE_URL: latest.json not written (set it to where the files will be published)"
fi

echo
echo "==> packages in $OUT/ ($(( $(date +%s) - started )) s)"
(cd "$OUT" && ls -l --block-size=K -- *.deb *.rpm *.exe *.sig latest.json 2>/dev/null | awk '{print "   ", $5, $9}')
