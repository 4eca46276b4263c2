#!/usr/bin/env bash
# Checks a built Windows setup without Windows:
#
#   scripts/check-windows-installer.sh [target/packages/Recupero_<version>_x64-setup.exe]
#
# - the setup is a PE32+ x86-64 GUI program carrying an NSIS archive (its first header: the
#   0xDEADBEEF marker and "NullsoftInst" at a 512-byte boundary, with a length that fits the file);
# - 7-Zip reads the archive and its integrity test passes; it holds recupero.exe,
#   WebView2Loader.dll and the uninstaller;
# - the recupero.exe inside is PE32+ x86-64 with the GUI subsystem (no console window on a
#   double-click) and imports WebView2Loader.dll; the WebView2Loader.dll inside is an x86-64 DLL;
# - prints the sizes. Run by scripts/package-windows.sh after each build; runs alone too.
#
# Needs python3 and 7z (Debian: p7zip-full).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
setup="${1:-target/packages/Recupero_${version}_x64-setup.exe}"
[[ -f "$setup" ]] || { echo "error: $setup does not exist (scripts/package-windows.sh builds it)" >&2; exit 1; }
command -v 7z >/dev/null || { echo "error: 7z is missing (apt-get install p7zip-full)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> $setup"
echo "--- 7-Zip reads the NSIS archive"
7z l "$setup" >"$work/list.txt" || { cat "$work/list.txt"; echo "FAIL: 7-Zip cannot read it" >&2; exit 1; }
grep -E '^(Type|SubType|Method|Solid|Physical Size) ' "$work/list.txt" | sed 's/^/    /'
7z t "$setup" >"$work/test.txt" || { cat "$work/test.txt"; echo "FAIL: 7-Zip's integrity test" >&2; exit 1; }
echo "    integrity test: $(grep -E '^Everything is Ok' "$work/test.txt" || echo '?')"
7z e -y -o"$work/x" "$setup" recupero.exe WebView2Loader.dll uninstall.exe >/dev/null

python3 - "$setup" "$work/list.txt" "$work/x" <<'PY'
import os, struct, sys

setup, listing, extracted = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []

def check(ok, what):
    print(("    ok   " if ok else "    FAIL ") + what)
    if not ok:
        failures.append(what)

class PE:
    """The few header fields the checks need, read straight from the file."""
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:2] != b"MZ":
            raise ValueError("no MZ header")
        self.pe_off = struct.unpack_from("<I", d, 0x3C)[0]
        if d[self.pe_off:self.pe_off + 4] != b"PE\0\0":
            raise ValueError("no PE signature")
        coff = self.pe_off + 4
        self.machine, self.nsections = struct.unpack_from("<HH", d, coff)
        opt_size = struct.unpack_from("<H", d, coff + 16)[0]
        self.characteristics = struct.unpack_from("<H", d, coff + 18)[0]
        self.opt = coff + 20
        self.magic = struct.unpack_from("<H", d, self.opt)[0]
        self.subsystem = struct.unpack_from("<H", d, self.opt + 68)[0]
        self.dirs = self.opt + (112 if self.magic == 0x20B else 96)
        self.sections = []
        for i in range(self.nsections):
            s = self.opt + opt_size + 40 * i
            vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", d, s + 8)
            self.sections.append((vaddr, max(vsize, rawsize), rawptr))
        self.end_of_image = max((p + struct.unpack_from("<I", d, self.opt + opt_size + 40 * i + 16)[0])
                                for i, (_, _, p) in enumerate(self.sections))

    def pe32plus_x64(self):
        return self.magic == 0x20B and self.machine == 0x8664

    def rva(self, rva):
        for vaddr, size, rawptr in self.sections:
            if vaddr <= rva < vaddr + size:
                return rawptr + rva - vaddr
        raise ValueError("RVA outside every section")

    def cstr(self, off):
        return self.data[off:self.data.index(b"\0", off)].decode("ascii", "replace")

    def imports(self):
        rva, size = struct.unpack_from("<II", self.data, self.dirs + 8)
        names, off = [], self.rva(rva) if rva else None
        while off is not None:
            name_rva = struct.unpack_from("<I", self.data, off + 12)[0]
            if name_rva == 0:
                break
            names.append(self.cstr(self.rva(name_rva)))
            off += 20
        return names

SUBSYSTEMS = {2: "GUI", 3: "console"}

def load(path, what):
    try:
        return PE(path)
    except (OSError, ValueError, struct.error) as e:
        check(False, f"{what} is a PE file ({e})")
        print(f"{len(failures)} check(s) FAILED")
        sys.exit(1)

print("--- the setup")
pe = load(setup, "the setup")
check(pe.pe32plus_x64(), "PE32+ x86-64 (a 64-bit setup for the 64-bit app)")
check(pe.subsystem == 2, f"subsystem {SUBSYSTEMS.get(pe.subsystem, pe.subsystem)}")
# NSIS's first header sits at a 512-byte boundary after the stub: flags, 0xDEADBEEF,
# "NullsoftInst", the header's length, the length of everything that follows.
found = None
for off in range(0, len(pe.data) - 28, 512):
    if pe.data[off + 4:off + 20] == b"\xef\xbe\xad\xdeNullsoftInst":
        found = off
        break
check(found is not None, "NSIS first header ('NullsoftInst') found")
if found is not None:
    flags, _, _, header_len, total_len = struct.unpack_from("<II12sII", pe.data, found)
    print(f"    first header at offset {found}: flags {flags:#x}, header {header_len} bytes, "
          f"archive {total_len} bytes")
    check(found + total_len <= len(pe.data), "the archive's length fits in the file")
    check(found >= pe.end_of_image, "the archive follows the stub's sections")

listed = open(listing, encoding="utf-8", errors="replace").read()
check("SubType = NSIS-3 Unicode 64-bit" in listed, "7-Zip: NSIS-3 Unicode 64-bit")
for name in ("recupero.exe", "WebView2Loader.dll", "uninstall.exe"):
    check(os.path.isfile(os.path.join(extracted, name)) or f" {name}\n" in listed, f"contains {name}")

print("--- recupero.exe inside")
app = load(os.path.join(extracted, "recupero.exe"), "recupero.exe")
check(app.pe32plus_x64(), "PE32+ x86-64")
check(app.subsystem == 2, f"subsystem {SUBSYSTEMS.get(app.subsystem, app.subsystem)} (no console window on a double-click)")
imports = app.imports()
check(any(n.lower() == "webview2loader.dll" for n in imports), "imports WebView2Loader.dll")
print("    imports: " + ", ".join(sorted({n.lower() for n in imports})))
check(b"__TAURI_BUNDLE_TYPE_VAR_NSS" in app.data,
      "bundle type NSIS (tauri-plugin-updater picks NSIS artifacts)")

print("--- WebView2Loader.dll inside")
dll = load(os.path.join(extracted, "WebView2Loader.dll"), "WebView2Loader.dll")
check(dll.pe32plus_x64() and dll.characteristics & 0x2000 != 0, "an x86-64 DLL")

print("--- sizes")
def mb(n):
    return f"{n:>11,d} bytes ({n / 1048576:.1f} MiB)"
print(f"    setup              {mb(os.path.getsize(setup))}")
print(f"    recupero.exe       {mb(os.path.getsize(app.path))}")
print(f"    WebView2Loader.dll {mb(os.path.getsize(dll.path))}")
if failures:
    print(f"{len(failures)} check(s) FAILED")
    sys.exit(1)
print("The Windows setup checks passed.")
PY
