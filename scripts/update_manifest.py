#!/usr/bin/env python3
"""Writes latest.json, the update manifest the in-app updater reads (Tauri's static format),
from the signed installers in a folder:

    scripts/update_manifest.py FOLDER VERSION BASE_URL [NOTES]

Every installer needs its `.sig` beside it (`tauri signer sign --app-version VERSION`, as
scripts/package.sh and the release workflow do). Platform keys: linux-x86_64-deb,
linux-x86_64-rpm, windows-x86_64-nsis (and windows-x86_64), darwin-universal (and
darwin-aarch64, darwin-x86_64) for the macOS updater archive.
"""
import datetime
import json
import pathlib
import sys


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    folder, version, base = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3].rstrip("/")
    notes = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else f"Recupero {version}"
    if not base.startswith("https://"):
        print(f"error: {base} is not https: the app refuses update addresses that are not", file=sys.stderr)
        return 1
    platforms: dict[str, dict[str, str]] = {}

    def add(keys: list[str], pattern: str) -> None:
        for f in sorted(folder.glob(pattern)):
            sig = folder / (f.name + ".sig")
            if not sig.is_file():
                raise SystemExit(f"error: {f.name} has no signature ({sig.name})")
            entry = {"url": f"{base}/{f.name}", "signature": sig.read_text().strip()}
            for k in keys:
                platforms[k] = entry

    add(["linux-x86_64-deb"], f"*_{version}_amd64.deb")
    add(["linux-x86_64-rpm"], f"*-{version}-1.x86_64.rpm")
    add(["windows-x86_64-nsis", "windows-x86_64"], f"*_{version}_x64-setup.exe")
    add(["darwin-universal", "darwin-aarch64", "darwin-x86_64"], "*.app.tar.gz")
    if not platforms:
        print(f"error: no installer for {version} in {folder}", file=sys.stderr)
        return 1
    manifest = {
        "version": version,
        "notes": notes,
        "pub_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platforms": platforms,
    }
    (folder / "latest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"latest.json: {version}, {', '.join(sorted(platforms))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
