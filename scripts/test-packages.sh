#!/usr/bin/env bash
# Proves the packages scripts/package.sh left in target/packages/, on a Debian/Ubuntu machine
# like CI's (root or sudo; it installs and purges the real .deb with apt, so don't run it on a
# machine where Recupero is installed for real):
#   1. `apt-get install ./Recupero_<v>_amd64.deb` with its declared dependencies;
#   2. the installed files: both binaries, the menu entry (desktop-file-validate), the icons in
#      the hicolor theme (the notification icon `recupero` resolves), the AppStream metadata
#      (appstreamcli), the changelog;
#   3. /usr/bin/recupero under Xvfb with a real D-Bus session and keyring opens its window;
#      "start at login" writes an autostart entry that runs /usr/bin/recupero; closing the
#      window hands over to the installed /usr/bin/recupero-tray;
#   4. `apt-get purge recupero` leaves none of the package's files; the owner's data folder stays;
#   5. the .rpm's metadata and file list (rpm -qip/-qlp), and the Windows setup
#      (scripts/check-windows-installer.sh) when they are there.
# Takes about a minute. Its results go in BENCHMARKS.md ("Installers").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=target/packages
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)
DEB="$OUT/Recupero_${VERSION}_amd64.deb"
[[ -f "$DEB" ]] || { echo "error: $DEB is missing: run scripts/package.sh first" >&2; exit 1; }
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
need=(xvfb xauth dbus-daemon dbus-bin gnome-keyring xdotool python3-xlib desktop-file-utils appstream rpm p7zip-full)
missing=(); for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
((${#missing[@]} == 0)) || apt_get install --no-install-recommends "${missing[@]}"

ok() { echo "  ok: $*"; }
die() { echo "FAILED: $*" >&2; exit 1; }

if dpkg -s recupero >/dev/null 2>&1; then
  echo "==> an older recupero is installed: purging it first"
  apt_get purge recupero >/dev/null
fi

echo "==> 1. installing $DEB with apt"
t0=$(date +%s%N)
apt_get install "./$DEB" >/dev/null
echo "  installed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
dpkg -s recupero | grep -E '^(Version|Depends|Recommends|Installed-Size):' | sed 's/^/  /'
depends=$(dpkg -s recupero | sed -n 's/^Depends: //p')
for d in libwebkit2gtk-4.1-0 libgtk-3-0 appindicator3-1; do
  [[ "$depends" == *"$d"* ]] || die "the .deb does not depend on $d"
done
mapfile -t FILES < <(dpkg -L recupero | while read -r f; do [[ -f "$f" ]] && echo "$f"; done)
echo "  ${#FILES[@]} files"

echo "==> 2. the installed files"
for b in /usr/bin/recupero /usr/bin/recupero-tray; do
  [[ -x "$b" ]] || die "$b is not installed"
done
glibc=$(objdump -T /usr/bin/recupero /usr/bin/recupero-tray | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1)
ok "both binaries in /usr/bin (they need $glibc at most)"
desktop=$(printf '%s\n' "${FILES[@]}" | grep '^/usr/share/applications/.*\.desktop$' | head -n1)
[[ -n "$desktop" ]] || die "no desktop entry"
desktop-file-validate "$desktop" || die "$desktop is not valid"
grep -qx 'Exec=recupero' "$desktop" && grep -qx 'Icon=recupero' "$desktop" || die "$desktop does not run recupero with its icon"
ok "menu entry $desktop (valid, Exec=recupero, Icon=recupero)"
for size in 32x32 128x128 256x256@2; do
  [[ -f /usr/share/icons/hicolor/$size/apps/recupero.png ]] || die "no $size icon in hicolor"
done
ok "icons: $(printf '%s\n' "${FILES[@]}" | grep -c '^/usr/share/icons/hicolor/') in the hicolor theme"
meta=/usr/share/metainfo/app.recupero.desktop.metainfo.xml
appstreamcli validate --no-net "$meta" >/dev/null || die "$meta is not valid"
grep -q "<launchable type=\"desktop-id\">$(basename "$desktop")</launchable>" "$meta" || die "$meta launches another desktop id than $(basename "$desktop")"
ok "AppStream metadata valid, launches $(basename "$desktop")"
changelog=$(printf '%s\n' "${FILES[@]}" | grep '^/usr/share/doc/.*/changelog.gz$' | head -n1)
[[ -n "$changelog" ]] && zcat "$changelog" | grep -q "^## $VERSION" || die "no changelog for $VERSION"
ok "changelog $changelog"

echo "==> 3. the installed app, in a real window"
HOMEDIR=$(mktemp -d)
cat > "$HOMEDIR/session.sh" <<'INNER'
set -euo pipefail
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" NO_AT_BRIDGE=1
mkdir -p "$XDG_DATA_HOME"
echo -n "recupero-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
wait_for() { # SECONDS WHAT COMMAND...
  local n=$1 what=$2; shift 2
  for _ in $(seq $((n * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "FAILED: $what within ${n}s" >&2; return 1
}
/usr/bin/recupero config set autostart true >/dev/null
/usr/bin/recupero >"$HOME/app.log" 2>&1 &
wait_for 90 "a window titled Recupero" xdotool search --onlyvisible --name '^Recupero$'
echo "  ok: /usr/bin/recupero opened its window"
sleep 4; import -window root "$HOME/window.png" 2>/dev/null || true
entry="$XDG_CONFIG_HOME/autostart/Recupero.desktop"
wait_for 20 "the autostart entry" test -f "$entry"
grep -q '^Exec=.*/usr/bin/recupero' "$entry" || { echo "FAILED: $entry runs $(grep ^Exec= "$entry")" >&2; exit 1; }
echo "  ok: start at login runs $(grep ^Exec= "$entry" | cut -d= -f2-)"
/usr/bin/python3 - <<'PY'
# Xvfb has no window manager to send WM_DELETE_WINDOW for us: send it as a close button would.
from Xlib import X, display, error, protocol
d = display.Display()
def walk(w):
    try:
        children = w.query_tree().children
        name = w.get_wm_name()
    except error.XError:  # a window that went away meanwhile
        return
    yield w, name
    for c in children:
        yield from walk(c)
targets = [w for w, name in walk(d.screen().root) if name == "Recupero"]
assert targets, "no window to close"
delete, protocols = d.intern_atom("WM_DELETE_WINDOW"), d.intern_atom("WM_PROTOCOLS")
for w in targets:
    w.send_event(protocol.event.ClientMessage(window=w, client_type=protocols,
                 data=(32, [delete, X.CurrentTime, 0, 0, 0])))
d.flush()
PY
wait_for 40 "the hand-over to /usr/bin/recupero-tray" pgrep -fx '/usr/bin/recupero-tray.*'
wait_for 20 "the window's process to end" bash -c '! pgrep -fx "/usr/bin/recupero( .*)?"'
echo "  ok: closing the window handed over to $(pgrep -fa recupero-tray | cut -d' ' -f2-)"
pkill -TERM -x recupero-tray || true
wait_for 20 "the tray process to end" bash -c '! pgrep -x recupero-tray'
INNER
HOME="$HOMEDIR" xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash "$HOMEDIR/session.sh" \
  || { echo "--- app log:"; tail -n 40 "$HOMEDIR/app.log" || true; die "the installed app"; }
DATA=$(find "$HOMEDIR/.local/share" -name 'recupero.sqlite3' -print -quit)
[[ -n "$DATA" ]] || die "the app kept no data under $HOMEDIR/.local/share"
[[ -f "$HOMEDIR/window.png" ]] && mkdir -p target/e2e-screenshots && cp "$HOMEDIR/window.png" target/e2e-screenshots/installed-deb.png

echo "==> 4. apt-get purge recupero"
apt_get purge recupero >/dev/null
dpkg -s recupero >/dev/null 2>&1 && die "recupero is still installed"
left=0; for f in "${FILES[@]}"; do [[ -e "$f" ]] && { echo "  left behind: $f"; left=$((left + 1)); }; done
((left == 0)) || die "$left files left behind"
ok "all ${#FILES[@]} files removed"
[[ -f "$DATA" ]] || die "the owner's data was removed"
ok "the owner's data folder is kept ($(dirname "$DATA"))"
rm -rf "$HOMEDIR"

RPM="$OUT/Recupero-${VERSION}-1.x86_64.rpm"
if [[ -f "$RPM" ]]; then
  echo "==> 5. the .rpm"
  rpm -qp --requires "$RPM" 2>/dev/null | grep -q "libwebkit2gtk-4.1" || die "the .rpm does not require WebKitGTK 4.1"
  for f in /usr/bin/recupero /usr/bin/recupero-tray /usr/share/metainfo/app.recupero.desktop.metainfo.xml; do
    rpm -qlp "$RPM" 2>/dev/null | grep -qx "$f" || die "the .rpm lacks $f"
  done
  ok "requires $(rpm -qp --requires "$RPM" 2>/dev/null | grep -v '^rpmlib' | paste -sd, -)"
  ok "$(rpm -qlp "$RPM" 2>/dev/null | wc -l) files, both binaries and the metadata among them"
fi
SETUP="$OUT/Recupero_${VERSION}_x64-setup.exe"
if [[ -f "$SETUP" && -f scripts/check-windows-installer.sh ]]; then
  echo "==> 5. the Windows setup"
  bash scripts/check-windows-installer.sh "$SETUP"
fi

echo
echo "==> sizes"
(cd "$OUT" && ls -l --block-size=K -- *.deb *.rpm *.exe 2>/dev/null | awk '{print "   ", $5, $9}')
echo "All package checks passed."
