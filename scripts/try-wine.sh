#!/usr/bin/env bash
# Tries the Windows build under Debian's Wine (wine64, Wine 8) in a throwaway prefix and home, and
# reports honestly what ran: each command, its exit code and a summary of its output.
#
#   scripts/try-wine.sh [SETUP.exe]
#
# Part 1, the engine: the cross-built recupero.exe (target/x86_64-pc-windows-gnu/release/) runs
# its headless commands: --version, --help, status, a demo against its built-in sandboxes,
# results, export, the keychain (Wine's Credential Manager). Wine 8 has no bcryptprimitives.dll,
# which Rust's std imports (ProcessPrng): a test-only shim (packaging/windows/wine/) is built
# with mingw-w64 and put beside the exe. WebView2 cannot run under Wine: the window is not tried.
# Part 2, the setup (default target/packages/Recupero_<version>_x64-setup.exe): a silent
# install, its files, shortcuts and registry entries, an upgrade over a running Recupero, an
# update with the updater's flags (closes the app, opens it again with its arguments), an
# uninstall that keeps the data, and one with /DELETEDATA that removes it and the saved passwords.
#
# Needs: wine (Debian's wine + wine64), gcc-mingw-w64-x86-64. Nothing reaches the internet.
# Exit status: 0 when every setup check passed (part 1's results are reported, not judged).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
target_dir="${CARGO_TARGET_DIR:-target}"
exe="$target_dir/x86_64-pc-windows-gnu/release/recupero.exe"
setup="${1:-$target_dir/packages/Recupero_${version}_x64-setup.exe}"
[[ -f "$setup" ]] || setup="target/packages/Recupero_${version}_x64-setup.exe"

command -v wine >/dev/null || { echo "error: wine is not installed (apt-get install wine wine64)" >&2; exit 1; }
command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "error: x86_64-w64-mingw32-gcc is missing (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }

work=$(mktemp -d /tmp/recupero-wine.XXXXXX)
# A throwaway home too: Wine would otherwise link the prefix's Desktop to the real home and
# write menu entries and icons for the Start-menu shortcuts there.
export HOME="$work/home" WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=;mshtml="
mkdir -p "$HOME"
cleanup() { wineserver -k >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

failures=0
pass() { echo "  PASS $*"; }
fail() { echo "  FAIL $*"; failures=$((failures + 1)); }

echo "==> a fresh Wine prefix ($(wine --version 2>/dev/null)), reporting Windows 10"
wine wineboot --init >/dev/null 2>&1
wine winecfg /v win10 >/dev/null 2>&1
wineserver -w
echo "    $(wine cmd /c ver 2>/dev/null | tr -d '\r' | grep -v '^$')"

echo "==> the test-only bcryptprimitives.dll shim (ProcessPrng -> RtlGenRandom)"
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$work/bcryptprimitives.dll" \
  packaging/windows/wine/bcryptprimitives.c -ladvapi32

# Runs one command of the engine, prints its exit code, time and the first lines of its output.
run() {
  local label="$1"; shift
  local out="$work/out.txt" start end rc
  start=$(date +%s.%N)
  timeout 300 wine "$@" >"$out" 2>&1 <"${STDIN_FILE:-/dev/null}"
  rc=$?
  end=$(date +%s.%N)
  printf '  $ recupero %s\n    exit %s, %.1f s, %s lines of output\n' "$label" "$rc" \
    "$(echo "$end - $start" | bc)" "$(wc -l <"$out")"
  tr -d '\r' <"$out" | grep -v '^\s*$' | head -n "${LINES_SHOWN:-6}" | sed 's/^/    | /'
  return $rc
}

echo
echo "==> part 1: the engine (recupero.exe) under Wine"
if [[ ! -f "$exe" ]]; then
  echo "  SKIPPED: $exe is missing (scripts/package-windows.sh builds it)"
else
  app="$work/app"
  mkdir -p "$app"
  cp "$exe" "$app/"
  wv2="$(dirname "$exe")/WebView2Loader.dll"
  [[ -f "$wv2" ]] && cp "$wv2" "$app/"
  exe_w="$app/recupero.exe"
  data='C:\recupero-data'
  echo "  (without the shim first)"
  run "--version (no shim)" "$exe_w" --version
  cp "$work/bcryptprimitives.dll" "$app/"
  echo "  (with the shim beside the exe)"
  run "--version" "$exe_w" --version
  LINES_SHOWN=4 run "--help" "$exe_w" --help
  run "status --json (a new database)" "$exe_w" --data-dir "$data" status --json
  LINES_SHOWN=12 run "demo --days 1 (the sandbox store and WhatsApp, simulated clock)" \
    "$exe_w" --data-dir "$data" demo --days 1 --start 2026-11-23T08:00:00-05:00
  LINES_SHOWN=3 run "demo --json --days 2" "$exe_w" --data-dir "$data" demo --json --days 2 --start 2026-11-23T08:00:00-05:00
  LINES_SHOWN=8 run "config show" "$exe_w" --data-dir "$data" config show
  LINES_SHOWN=8 run "rates" "$exe_w" --data-dir "$data" rates
  LINES_SHOWN=8 run "results" "$exe_w" --data-dir "$data" results
  LINES_SHOWN=3 run "export carts --format csv" "$exe_w" --data-dir "$data" export carts --format csv
  LINES_SHOWN=3 run "backup" "$exe_w" --data-dir "$data" backup --output 'C:\recupero-backup.sqlite3'
  echo "wine-test-token" >"$work/secret.txt"
  STDIN_FILE="$work/secret.txt" run "secret set whatsapp_token (Credential Manager)" \
    "$exe_w" --data-dir "$data" secret set whatsapp_token
  run "secret list" "$exe_w" --data-dir "$data" secret list
  run "secret delete whatsapp_token" "$exe_w" --data-dir "$data" secret delete whatsapp_token
  echo "  \$ recupero serve (headless engine, 8 seconds, then ended)"
  timeout 8 wine "$exe_w" --data-dir "$data" serve >"$work/serve.txt" 2>&1
  echo "    exit $? (124 = still running when ended by timeout)"
  tr -d '\r' <"$work/serve.txt" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '^\s*$' | head -n 6 | sed 's/^/    | /'
  wineserver -k >/dev/null 2>&1
  # The tray (Tauri's tray in the app's own process on Windows). Wine 8 crashes in uxtheme
  # (IsThemePartDefined) when tao turns on Windows 10's dark mode through uxtheme's unnamed
  # ordinals, so Wine reports Windows 8.1 for this one run.
  if command -v xvfb-run >/dev/null 2>&1; then
    echo "  \$ recupero tray (no window; Xvfb; Wine reporting Windows 8.1), memory after 20 s"
    wineserver -w
    cat >"$work/tray.sh" <<'TRAY'
# Inside the X display, so Wine's desktop (and its notification area) has one.
wine winecfg /v win81 >/dev/null 2>&1
wine "$1" --data-dir 'C:\recupero-data' tray >"$2" 2>&1 &
sleep 20
# The Wine process of the app (its loader's small helper processes share the command line).
for pid in $(pgrep -f 'app/recupero\.exe'); do
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "WINEPREFIX=$WINEPREFIX" || continue
  echo "$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status") $(grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
done | sort -n | tail -n 1 | cut -d' ' -f2-
wineserver -k
wineserver -w
wine winecfg /v win10 >/dev/null 2>&1
wineserver -w
TRAY
    mem=$(xvfb-run -a -s "-screen 0 1024x768x24" bash "$work/tray.sh" "$exe_w" "$work/tray.txt" 2>/dev/null)
    echo "    process memory (Linux's view of the Wine process, Wine's own DLLs included): ${mem:-not running}"
    sed 's/\x1b\[[0-9;]*m//g' "$work/tray.txt" | tr -d '\r' | grep -v -e '^\s*$' -e 'database migrated' | head -n 5 | sed 's/^/    | /'
    wineserver -w
  else
    echo "  (recupero tray not tried: xvfb-run is missing)"
  fi
  echo "  (the window, \`recupero\` with no command, needs WebView2, which Wine cannot run: not tried)"
fi

echo
echo "==> part 2: the setup under Wine ($setup)"
if [[ ! -f "$setup" ]]; then
  echo "  SKIPPED: $setup is missing (scripts/package-windows.sh builds it)"
  exit "$((failures > 0))"
fi
c_user="$WINEPREFIX/drive_c/users/${USER:-$(id -un)}"
[[ -d "$c_user" ]] || c_user=$(find "$WINEPREFIX/drive_c/users" -mindepth 1 -maxdepth 1 -type d ! -name Public | head -n1)
inst="$c_user/AppData/Local/Programs/Recupero"
menu="$c_user/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Recupero"
uninst_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Recupero'
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
reg_has() { wine reg query "$1" ${2:+/v "$2"} >/dev/null 2>&1; }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
cp "$setup" "$work/setup.exe"
# The installed recupero.exe's processes in this prefix, seen from Linux (Wine 8's tasklist
# lists nothing).
pids_recupero() {
  local pid pids=()
  for pid in $(pgrep -f 'recupero\.exe' || true); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "WINEPREFIX=$WINEPREFIX" || continue
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qi 'Programs.Recupero.recupero\.exe' && pids+=("$pid")
  done
  echo "${pids[*]}"
}
count_recupero() { local p; p=$(pids_recupero); set -- $p; echo $#; }

start=$(date +%s.%N)
wine "$work/setup.exe" /S /DESKTOPSHORTCUT
rc=$?
wineserver -w
printf '  $ setup /S /DESKTOPSHORTCUT: exit %s, %.1f s (WebView2 is missing under Wine and cannot be downloaded here: the setup says so and goes on)\n' \
  "$rc" "$(echo "$(date +%s.%N) - $start" | bc)"
check "setup exit code 0" test "$rc" = 0
for f in recupero.exe WebView2Loader.dll uninstall.exe recupero.png; do
  check "installed $f" test -f "$inst/$f"
done
# The build's exe, but for the bundle-type marker package-windows.sh sets to NSIS.
same_as_build() {
  python3 -c 'import sys; a, b = (open(p, "rb").read() for p in sys.argv[1:]); sys.exit(a != b.replace(b"_VAR_UNK", b"_VAR_NSS"))' "$inst/recupero.exe" "$exe"
}
[[ -f "$exe" ]] && check "the installed recupero.exe is the build's (bundle type: NSIS)" same_as_build
check "Start menu: Recupero.lnk" test -f "$menu/Recupero.lnk"
check "Start menu: the uninstaller's shortcut" test -f "$menu/Uninstall Recupero.lnk"
check "desktop shortcut" test -f "$c_user/Desktop/Recupero.lnk"
for v in DisplayName DisplayVersion Publisher DisplayIcon UninstallString QuietUninstallString EstimatedSize NoModify NoRepair InstallLocation; do
  check "uninstall entry: $v" reg_has "$uninst_key" "$v"
done
wine reg query "$uninst_key" 2>/dev/null | tr -d '\r' | grep -E 'DisplayVersion|EstimatedSize|QuietUninstallString' | sed 's/^ */    /'

echo "  -- an upgrade while Recupero runs (the setup must close it)"
cp "$work/bcryptprimitives.dll" "$inst/"
# With the default data folder: the owner's database and logs in the profile, for the uninstall.
wine "$inst/recupero.exe" serve >/dev/null 2>&1 &
sleep 6
running_before=$(count_recupero)
wine "$work/setup.exe" /S
rc=$?
wineserver -w
running_after=$(count_recupero)
echo "    recupero.exe processes before: $running_before, after: $running_after; setup exit $rc"
check "recupero.exe was running before the upgrade" test "$running_before" -ge 1
check "upgrade exit code 0" test "$rc" = 0
check "no recupero.exe left running after the upgrade" test "$running_after" = 0

echo "  -- an update as tauri-plugin-updater runs it: /S /UPDATE /R /ARGS <the app's arguments>"
wine "$inst/recupero.exe" serve >/dev/null 2>&1 &
sleep 6
pids_before=$(pids_recupero)
wine "$work/setup.exe" /S /UPDATE /R /ARGS serve >/dev/null 2>&1
rc=$?
sleep 6
pids_after=$(pids_recupero)
echo "    recupero.exe before: pid ${pids_before:-none}; after: pid ${pids_after:-none} ($(
  for pid in $pids_after; do tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/.*recupero\.exe/recupero.exe/'; done)); setup exit $rc"
check "update exit code 0" test "$rc" = 0
check "the running app was closed" eval '[[ -n "$pids_before" && " $pids_after " != *" $pids_before "* ]]'
check "the app was opened again, with its arguments (serve)" eval '[[ -n "$pids_after" ]] && grep -q serve "/proc/${pids_after%% *}/cmdline"'
wineserver -k
wineserver -w
rm -f "$inst/bcryptprimitives.dll"

echo "  -- uninstall /S: the program goes, the owner's data stays"
appdata="$c_user/AppData/Roaming/recupero/recupero/data"
localdata="$c_user/AppData/Local/recupero/recupero/data/logs"
# The window's WebView2 profile, which Wine can't make.
mkdir -p "$c_user/AppData/Local/app.recupero.desktop/EBWebView"
check "(the database the running app made: $(basename "$appdata")/recupero.sqlite3)" test -f "$appdata/recupero.sqlite3"
check "(its logs: $(find "$localdata" -type f 2>/dev/null | wc -l) file(s))" test -n "$(find "$localdata" -type f 2>/dev/null)"
wine reg add "$run_key" /v Recupero /t REG_SZ /d "\"C:\\fake\\recupero.exe\" tray" /f >/dev/null 2>&1
check "(a start-at-login entry as the autostart plugin writes it)" reg_has "$run_key" Recupero
wine "$inst/uninstall.exe" /S
wineserver -w
check "program folder removed" test ! -e "$inst"
check "Start-menu folder removed" test ! -e "$menu"
check "desktop shortcut removed" test ! -e "$c_user/Desktop/Recupero.lnk"
check "uninstall entry removed" eval '! reg_has "$uninst_key"'
check "start-at-login entry removed" eval '! reg_has "$run_key" Recupero'
check "notification app id removed" eval '! reg_has "HKCU\Software\Classes\AppUserModelId\app.recupero.desktop"'
check "the database is kept" test -f "$appdata/recupero.sqlite3"
check "the logs are kept" test -n "$(find "$localdata" -type f 2>/dev/null)"

echo "  -- uninstall /S /DELETEDATA: the data and the saved passwords go too"
wine "$work/setup.exe" /S
wineserver -w
if [[ -f "$exe" ]]; then
  cp "$work/bcryptprimitives.dll" "$inst/"
  echo "wine-test-token" | wine "$inst/recupero.exe" secret set whatsapp_token >/dev/null 2>&1
  before=$(wine "$inst/recupero.exe" secret list 2>&1 | tr -d '\r')
  echo "$before" | grep -i 'whatsapp_token' | sed 's/^/    before: /'
  check "(the WhatsApp token saved in the Credential Manager)" eval 'echo "$before" | grep -Eq "^whatsapp_token +set"'
  rm -f "$inst/bcryptprimitives.dll"
fi
wine "$inst/uninstall.exe" /S /DELETEDATA
wineserver -w
check "program folder removed" test ! -e "$inst"
check "the database folder removed" test ! -e "$c_user/AppData/Roaming/recupero"
check "the logs folder removed" test ! -e "$c_user/AppData/Local/recupero"
check "the WebView2 profile removed" test ! -e "$c_user/AppData/Local/app.recupero.desktop"
if [[ -f "$exe" ]]; then
  # Asked by part 1's copy (with the shim), as the program folder is gone.
  left=$(wine "$work/app/recupero.exe" --data-dir 'C:\recupero-data2' secret list 2>&1 | tr -d '\r')
  echo "$left" | grep -i 'whatsapp_token' | sed 's/^/    after: /'
  echo "$left" | grep -qi 'whatsapp_token' || echo "$left" | head -n 5 | sed 's/^/    after: /'
  check "the saved WhatsApp token removed from the Credential Manager" eval 'echo "$left" | grep -Eq "^whatsapp_token +not set"'
fi

echo "  -- on Windows 8.1 the setup refuses (WebView2 and Tauri need Windows 10)"
wine winecfg /v win81 >/dev/null 2>&1
wineserver -w
wine "$work/setup.exe" /S
rc=$?
wineserver -w
check "setup exit code 2 on Windows 8.1 (got $rc)" test "$rc" = 2
check "nothing installed" test ! -e "$inst"

echo
if ((failures)); then
  echo "$failures setup check(s) FAILED"
  exit 1
fi
echo "All setup checks passed."
