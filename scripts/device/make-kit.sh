#!/usr/bin/env bash
# Builds .device/ (git-ignored) for a GPU check on the lent device machine, which has no
# ffmpeg and reaches no network: a minimal ffmpeg 5.1 from Debian's source with CUDA
# decode (nvdec), scale_cuda and hevc_nvenc, linked only against libc; two index-pattern
# sources (1080p60 H.264, 720p60 VP9); vstream's own ffmpeg argument lists (args.json);
# and the check (scripts/device/cuda-path-check.py). Then, with the device tool:
#   run  command: python3 .device/check.py   carry: [".device"]
# Needs a build (npm run build), root, and Debian's deb-src entries (enabled for the download).
set -euo pipefail
cd "$(dirname "$0")/../.."
kit=.device
mkdir -p "$kit"
if [ ! -x "$kit/ffmpeg" ]; then
  src=$(mktemp -d)
  sources=/etc/apt/sources.list.d/debian.sources
  cp "$sources" "$src/sources.bak"
  sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
  apt-get update -qq
  (cd "$src" && apt-get source -qq --download-only ffmpeg)
  cp "$src/sources.bak" "$sources" && apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libffmpeg-nvenc-dev clang nasm pkg-config >/dev/null
  tar -C "$src" -xf "$src"/ffmpeg_*.orig.tar.xz
  (cd "$src"/ffmpeg-*/ && ./configure --prefix="$src/out" --disable-everything --disable-doc --disable-ffplay \
    --disable-autodetect --disable-debug --enable-ffnvcodec --enable-cuda-llvm --enable-nvdec --enable-nvenc \
    --enable-cuvid --enable-protocol=file,pipe --enable-demuxer=mov,matroska,hevc \
    --enable-muxer=hevc,framemd5,null,rawvideo --enable-decoder=h264,hevc,vp9,rawvideo \
    --enable-parser=h264,hevc,vp9 --enable-bsf=vp9_superframe_split,hevc_mp4toannexb,h264_mp4toannexb \
    --enable-hwaccel=h264_nvdec,hevc_nvdec,vp9_nvdec --enable-encoder=hevc_nvenc,rawvideo,wrapped_avframe \
    --enable-filter=fps,scale_cuda,setsar,split,trim,setpts,hwdownload,hwupload_cuda,hwupload,format,scale,null,copy,color \
    --enable-indev=lavfi --enable-swscale >/dev/null && make -j"$(nproc)" >/dev/null && make install >/dev/null)
  cp "$src/out/bin/ffmpeg" "$src/out/bin/ffprobe" "$kit/"
fi
cp scripts/device/cuda-path-check.py "$kit/check.py"
node --input-type=module -e "
const { generateSample } = await import('./dist/src/devkit/sample-videos.js');
await generateSample('ffmpeg', '$kit', { name: 'src60', width: 1920, height: 1080, fps: 60, seconds: 4, pattern: 'index' });
await generateSample('ffmpeg', '$kit', { name: 'vp960', width: 1280, height: 720, fps: 60, seconds: 4, pattern: 'index', container: 'webm' });
const m = await import('./dist/src/core/ffmpeg-args.js');
const settings = { width: 1280, height: 720, fps: 30, maxrateKbps: 4000, bufsizeKbits: 8000, gop: 240 };
const nv = { kind: 'nvenc', deviceId: 0 };
const clip = { line: 1, startFrame: 30, endFrame: 60 };
const passClips = [{ ...clip, outputPath: 'OUT0' }, { line: 2, startFrame: 45, endFrame: 90, outputPath: 'OUT1' }];
const args = {
  probe: m.buildNvencProbeArgs(0),
  clip_nvenc: m.buildClipEncodeArgs({ sourcePath: 'SRC', sourceStartSeconds: 0, outputPath: 'OUT', clip, settings, encoder: nv }),
  clip_x265: m.buildClipEncodeArgs({ sourcePath: 'SRC', sourceStartSeconds: 0, outputPath: 'OUT', clip, settings, encoder: { kind: 'x265', preset: 'ultrafast' } }),
  pass_nvenc: m.buildPassEncodeArgs({ sourcePath: 'SRC', sourceStartSeconds: 0, clips: passClips, settings, encoder: nv }),
};
(await import('node:fs')).writeFileSync('$kit/args.json', JSON.stringify(args, null, 1));
"
du -sh "$kit"
