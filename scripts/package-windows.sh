#!/usr/bin/env bash
# Builds the Windows setup on Linux: target/packages/Recupero_<version>_x64-setup.exe.
#
#   scripts/package-windows.sh        (scripts/package.sh calls it; it also runs alone)
#
# 1. the UI (ui/dist), when missing or older than its sources;
# 2. recupero.exe cross-compiled for x86_64-pc-windows-gnu with Debian's mingw-w64 (release,
#    the embedded UI served through the custom protocol) — about 15 minutes on two cores;
# 3. the bundle-type marker set to NSIS (as the Tauri bundler does, for the updater), and the
#    setup, made by Debian's makensis from the project's own script,
#    packaging/windows/recupero.nsi (the Tauri bundler's NSIS path downloads NSIS plugins from
#    GitHub at build time, which a machine reaching only package registries cannot do);
# 4. scripts/check-windows-installer.sh checks the result (when 7z is installed).
#
# Needs (Debian): nsis, gcc-mingw-w64-x86-64, p7zip-full (for the check); rustup's target:
# `rustup target add x86_64-pc-windows-gnu`. Node >= 20.19 for the UI (see scripts/setup.sh).
# Environment: CARGO_TARGET_DIR as usual; PACKAGES_DIR (default target/packages).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

triple=x86_64-pc-windows-gnu
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
target_dir="${CARGO_TARGET_DIR:-target}"
packages="${PACKAGES_DIR:-target/packages}"
setup_name="Recupero_${version}_x64-setup.exe"

missing=()
command -v makensis >/dev/null 2>&1 || missing+=(nsis)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
if ((${#missing[@]})); then
  echo "error: missing Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$triple"; then
  echo "error: the $triple target is not installed: rustup target add $triple" >&2
  exit 1
fi

# The UI is embedded in the binary: build it when missing or older than anything it is built from.
stale=""
if [[ ! -f ui/dist/index.html ]]; then
  stale="missing"
else
  stale=$(find ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts \
               ui/svelte.config.js -newer ui/dist/index.html -print -quit 2>/dev/null || true)
fi
if [[ -n "$stale" ]]; then
  echo "==> building the UI (ui/dist: ${stale})"
  [[ -d ui/node_modules ]] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  (cd ui && npm run build --silent)
fi

echo "==> cross-compiling recupero.exe ($triple, release)"
start=$(date +%s)
nice -n 10 cargo build --locked --release --target "$triple" --features custom-protocol --bin recupero
echo "    $(($(date +%s) - start)) s"

out_dir="$target_dir/$triple/release"
exe="$out_dir/recupero.exe"
# tauri-build copies the loader beside the exe for -gnu targets; webview2-com-sys's build
# output has it too.
loader="$out_dir/WebView2Loader.dll"
if [[ ! -f "$loader" ]]; then
  loader=$(find "$out_dir/build" -path '*webview2-com-sys-*/out/x64/WebView2Loader.dll' -print -quit 2>/dev/null || true)
fi
[[ -f "$exe" ]] || { echo "error: $exe was not built" >&2; exit 1; }
[[ -f "$loader" ]] || { echo "error: WebView2Loader.dll (x64) not found under $out_dir" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$exe" "$loader" "$stage/"
# What the Tauri bundler does to the binaries it packs: the bundle-type marker tells
# tauri-plugin-updater which installer installed this copy ("NSS": NSIS), so it picks the NSIS
# artifact of an update manifest and runs it with the setup's update flags.
python3 - "$stage/recupero.exe" <<'PY'
import sys
path = sys.argv[1]
data = open(path, "rb").read()
marker, nsis = b"__TAURI_BUNDLE_TYPE_VAR_UNK", b"__TAURI_BUNDLE_TYPE_VAR_NSS"
if data.count(marker) != 1:
    sys.exit(f"error: expected one bundle-type marker in {path}, found {data.count(marker)}")
open(path, "wb").write(data.replace(marker, nsis))
PY
mkdir -p "$packages"
setup="$(cd "$packages" && pwd)/$setup_name"

echo "==> making the setup with makensis ($(makensis -VERSION))"
makensis -V2 -WX -INPUTCHARSET UTF8 \
  -DVERSION="$version" -DVERSION_QUAD="${version%%[-+]*}.0" \
  -DSRCDIR="$stage" -DOUTFILE="$setup" \
  "$PWD/packaging/windows/recupero.nsi"

if command -v 7z >/dev/null 2>&1; then
  bash scripts/check-windows-installer.sh "$setup"
else
  echo "note: 7z is missing (apt-get install p7zip-full): scripts/check-windows-installer.sh not run"
fi
echo "==> $setup ($(stat -c %s "$setup") bytes)"
