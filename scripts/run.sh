#!/usr/bin/env bash
# One command to run Recupero on a fresh Debian/Ubuntu machine: installs what is missing,
# builds the UI and the app (release), and opens it. Extra arguments go to the app,
# e.g. `scripts/run.sh --data-dir /tmp/shop` or `scripts/run.sh serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo run --locked --release --features custom-protocol -- "$@"
