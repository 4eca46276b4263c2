#!/usr/bin/env python3
"""Checks what the installers are made of, in seconds and without building them (the test
command runs it; scripts/package.sh runs it first):

- one version everywhere: Cargo.toml, tauri.conf.json, ui/package.json, the newest entry of
  CHANGELOG.md and of the AppStream metadata's <releases>;
- the AppStream metadata passes `appstreamcli validate` (errors and warnings fail);
- the desktop entry, rendered from its template as the Tauri bundler does, passes
  `desktop-file-validate`, and runs the binary the packages install;
- every file the bundle config names exists, and the Windows installer script names the same
  version source and binaries.

A validator that is not installed is reported as SKIPPED, never as a pass.
"""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
errors: list[str] = []


def fail(msg: str) -> None:
    errors.append(msg)


def cargo_version() -> str:
    m = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M)
    return m.group(1) if m else ""


def main() -> int:
    version = cargo_version()
    conf = json.loads((ROOT / "tauri.conf.json").read_text())
    ui = json.loads((ROOT / "ui/package.json").read_text())
    for name, v in [("tauri.conf.json", conf.get("version")), ("ui/package.json", ui.get("version"))]:
        if v != version:
            fail(f"{name} has version {v!r}, Cargo.toml {version!r}")

    changelog = (ROOT / "CHANGELOG.md").read_text()
    m = re.search(r"^## (\S+)", changelog, re.M)
    if not m or m.group(1) != version:
        fail(f"CHANGELOG.md's newest entry is {m.group(1) if m else None!r}, not {version!r}")

    metainfo = ROOT / "packaging/linux/app.recupero.desktop.metainfo.xml"
    tree = ET.parse(metainfo)
    releases = [r.get("version") for r in tree.getroot().iter("release")]
    if not releases or releases[0] != version:
        fail(f"the AppStream metadata's newest release is {releases[:1]}, not {version!r}")
    if tree.getroot().findtext("id") != conf["identifier"]:
        fail("the AppStream id differs from tauri.conf.json's identifier")

    bundle = conf["bundle"]
    for icon in bundle["icon"]:
        if not (ROOT / icon).is_file():
            fail(f"bundle icon {icon} is missing")
    for kind in ("deb", "rpm"):
        cfg = bundle["linux"][kind]
        for src in list(cfg.get("files", {}).values()) + [cfg.get("desktopTemplate"), cfg.get("changelog")]:
            if src and not src.startswith("target/") and not (ROOT / src).is_file():
                fail(f"bundle.linux.{kind} names {src}, which is missing")
    # The tray-only binary is not one the bundler picks up by itself (it bundles the main one):
    # both packages carry it as a file, built by the same `cargo build --bins`.
    for kind in ("deb", "rpm"):
        if bundle["linux"][kind].get("files", {}).get("/usr/bin/recupero-tray") != "target/release/recupero-tray":
            fail(f"the .{kind} does not install /usr/bin/recupero-tray from target/release")

    validate("appstreamcli", ["appstreamcli", "validate", "--no-net", "--pedantic", str(metainfo)],
             ok=lambda out: "W:" not in out and "E:" not in out)

    # The desktop entry as the bundler writes it (handlebars variables filled in).
    main_bin = conf["mainBinaryName"]
    template = (ROOT / bundle["linux"]["deb"]["desktopTemplate"]).read_text()
    values = {"name": conf["productName"], "exec": main_bin, "icon": main_bin, "categories": "Office;"}
    rendered = re.sub(r"\{\{(\w+)\}\}", lambda mm: values[mm.group(1)], template)
    if re.search(r"^Exec=recupero$", rendered, re.M) is None:
        fail("the desktop entry does not run `recupero`")
    with tempfile.TemporaryDirectory() as tmp:
        desktop = pathlib.Path(tmp) / f"{conf['productName']}.desktop"
        desktop.write_text(rendered)
        validate("desktop-file-validate", ["desktop-file-validate", str(desktop)], ok=lambda out: out.strip() == "")

    nsi = ROOT / "packaging/windows/recupero.nsi"
    if nsi.is_file():
        text = nsi.read_text(errors="replace")
        for needed in ("recupero.exe", "WebView2Loader.dll"):
            if needed not in text:
                fail(f"{nsi.relative_to(ROOT)} does not install {needed}")

    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    if not errors:
        print(f"packaging: version {version} everywhere; metadata and desktop entry valid")
    return 1 if errors else 0


def validate(tool: str, cmd: list[str], ok) -> None:
    if shutil.which(tool) is None:
        print(f"SKIPPED: {tool} is not installed (apt-get install {'appstream' if tool == 'appstreamcli' else 'desktop-file-utils'})")
        return
    res = subprocess.run(cmd, capture_output=True, text=True)
    out = res.stdout + res.stderr
    if res.returncode != 0 or not ok(out):
        fail(f"{' '.join(cmd[:2])} found problems:\n{out}")


if __name__ == "__main__":
    sys.exit(main())
