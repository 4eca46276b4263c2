#!/usr/bin/env bash
# The cheap check of the Windows setup's script, for the test command: makensis compiles
# packaging/windows/recupero.nsi (warnings are errors) with stand-in files instead of the
# cross-built recupero.exe and WebView2Loader.dll, into a throwaway setup in a temporary folder
# (a few seconds), and the result is checked to be a 64-bit NSIS installer holding the files.
# The real build and its checks: scripts/package-windows.sh, scripts/check-windows-installer.sh.
# Prints SKIPPED (and succeeds) where makensis is not installed (Debian: apt-get install nsis).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v makensis >/dev/null 2>&1; then
  echo "SKIPPED: makensis is not installed (apt-get install nsis); the Windows setup's script was not compiled."
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
printf 'stand-in for recupero.exe\n' >"$work/src/recupero.exe"
printf 'stand-in for WebView2Loader.dll\n' >"$work/src/WebView2Loader.dll"
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
out="$work/Recupero_${version}_x64-setup.exe"

if ! makensis -V2 -WX -INPUTCHARSET UTF8 -DVERSION="$version" -DSRCDIR="$work/src" -DOUTFILE="$out" \
     packaging/windows/recupero.nsi >"$work/makensis.log" 2>&1; then
  cat "$work/makensis.log" >&2
  echo "error: makensis rejected packaging/windows/recupero.nsi" >&2
  exit 1
fi

python3 - "$out" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", data, 0x3C)[0]
assert data[:2] == b"MZ" and data[pe:pe + 4] == b"PE\0\0", "not a PE file"
machine = struct.unpack_from("<H", data, pe + 4)[0]
magic = struct.unpack_from("<H", data, pe + 24)[0]
assert machine == 0x8664 and magic == 0x20B, f"not PE32+ x86-64 (machine {machine:#x}, magic {magic:#x})"
at = next((o for o in range(0, len(data) - 28, 512)
           if data[o + 4:o + 20] == b"\xef\xbe\xad\xdeNullsoftInst"), None)
assert at is not None, "no NSIS first header"
total = struct.unpack_from("<I", data, at + 24)[0]
assert at + total <= len(data), "the NSIS archive's length does not fit in the file"
PY

if command -v 7z >/dev/null 2>&1; then
  listing=$(7z l "$out")
  for f in recupero.exe WebView2Loader.dll uninstall.exe recupero.png; do
    grep -q " $f\$" <<<"$listing" || { echo "error: the throwaway setup lacks $f" >&2; exit 1; }
  done
fi
echo "ok: packaging/windows/recupero.nsi compiles (makensis $(makensis -VERSION)) into a 64-bit NSIS setup of $(stat -c %s "$out") bytes with stand-in files"
