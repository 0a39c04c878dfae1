#!/usr/bin/env python3
"""Assembles the ffmpeg the GPU bench carries to a device machine: .gpu-kit/kit.tar.xz.

The device machine has no ffmpeg and reaches no package registry, so this takes Debian's
ffmpeg (which has hevc_nvenc, -hwaccel cuda, scale_cuda, libx264 and libx265; the CUDA and
NVENC libraries are dlopen'd from the driver at run time) with its shared libraries. All of
them come to 236 MB (78 MB xz), far over what a device call carries, and most are codecs,
fonts, speech voices and network stacks this bench never calls. So only the libraries the
bench uses are carried as they are; every other library ffmpeg links is replaced by a stub
of the same soname that exports the same symbols (functions that return 0, data of the same
size), which is all the dynamic loader needs. glibc travels too, in its own folder, for a
device whose glibc is older than Debian's (run.py then starts ffmpeg through that loader).

Usage: python3 bench/gpu/prepare.py [--ffmpeg /usr/bin/ffmpeg] [--out .gpu-kit/kit.tar.xz]
Needs ffmpeg (Debian's package), readelf, gcc and ldd. Prints the kit's size.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Libraries the bench calls, carried as they are (soname prefixes).
KEEP = (
    "libavutil.",
    "libavcodec.",
    "libavformat.",
    "libavfilter.",
    "libavdevice.",
    "libswscale.",
    "libswresample.",
    "libpostproc.",
    "libx264.",
    "libx265.",
    "libnuma.",
    "libstdc++.",
    "libgcc_s.",
    "libz.",
    "liblzma.",
    "libbz2.",
    # Probing an input asks every demuxer; libgme's probe dereferences what its library returns.
    "libgme.",
)
# glibc: the device's own is used when new enough; ours travels beside it as a fallback.
GLIBC = ("libc.so.", "libm.so.", "libmvec.so.", "libpthread.so.", "libdl.so.", "librt.so.", "libresolv.so.", "ld-linux-x86-64.so.")

# A stub function logs its name when VSTREAM_GPU_KIT_STUB_TRACE is set: a way to see whether
# a run reached a library that was not carried.
STUB_PRELUDE = """\
extern char *vs_getenv(const char *) __asm__("getenv");
extern long vs_write(int, const void *, unsigned long) __asm__("write");
static void vs_stub_called(const char *name, unsigned long length) {
  if (vs_getenv("VSTREAM_GPU_KIT_STUB_TRACE")) {
    vs_write(2, "gpu-kit stub called: ", 21);
    vs_write(2, name, length);
    vs_write(2, "\\n", 1);
  }
}
"""


def run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def needed(path: Path) -> list[str]:
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", run(["readelf", "-d", "-W", str(path)]))


def resolved_paths(binary: Path) -> dict[str, Path]:
    """soname -> file, for the binary's whole closure, as the loader here resolves it."""
    paths = {}
    for line in run(["ldd", str(binary)]).splitlines():
        match = re.match(r"\s*(\S+) => (/\S+)", line)
        if match:
            paths[match.group(1)] = Path(match.group(2))
        match = re.match(r"\s*(/\S*ld-linux\S*)", line)
        if match:
            paths[Path(match.group(1)).name] = Path(match.group(1))
    return paths


def defined_symbols(path: Path) -> list[dict]:
    """The dynamic symbols a library defines: name, version, default version or not, type, size."""
    symbols = []
    for line in run(["readelf", "--dyn-syms", "-W", str(path)]).splitlines():
        fields = line.split()
        if len(fields) < 8 or not fields[0].rstrip(":").isdigit():
            continue
        _, _, size, kind, bind, _, index, name = fields[:8]
        if name in ("_init", "_fini"):  # the linker's own, not the library's interface
            continue
        if index in ("UND", "ABS") or bind not in ("GLOBAL", "WEAK") or kind not in ("FUNC", "IFUNC", "OBJECT", "TLS"):
            continue
        version, default = None, True
        if "@@" in name:
            name, version = name.split("@@", 1)
        elif "@" in name:
            name, version = name.split("@", 1)
            default = False
        size_value = int(size, 16) if size.startswith("0x") else int(size)
        symbols.append({"name": name, "version": version, "default": default, "kind": kind, "size": size_value})
    return symbols


def write_stub(real: Path, soname: str, out_dir: Path, work: Path) -> int:
    """Builds out_dir/soname exporting what `real` exports; returns the number of symbols."""
    symbols = defined_symbols(real)
    lines = [STUB_PRELUDE]
    versions: dict[str, list[str]] = {}
    for i, symbol in enumerate(symbols):
        name, local = symbol["name"], f"vs_stub_{i}"
        if symbol["kind"] in ("FUNC", "IFUNC"):
            lines.append(f'long {local}(void) {{ vs_stub_called("{name}", {len(name)}); return 0; }}')
        else:
            storage = "__thread " if symbol["kind"] == "TLS" else ""
            lines.append(f"{storage}char {local}[{max(1, symbol['size'])}] __attribute__((aligned(16)));")
        if symbol["version"] is None:
            lines.append(f'__asm__(".globl {name}\\n.set {name}, {local}");')
        else:
            at = "@@" if symbol["default"] else "@"
            lines.append(f'__asm__(".symver {local}, {name}{at}{symbol["version"]}");')
            versions.setdefault(symbol["version"], [])
    source = work / f"{soname}.c"
    source.write_text("\n".join(lines) + "\n")
    args = ["gcc", "-shared", "-fPIC", "-O1", "-nostdlib", "-o", str(out_dir / soname), f"-Wl,-soname,{soname}", str(source), "-lc"]
    if versions:
        # Every version the real library defines, in its order, each exporting nothing by
        # name: the .symver lines bind the symbols; the stubs' own names stay local.
        script = work / f"{soname}.map"
        order = re.findall(r"Name: (\S+)\s+Flags: none", run(["readelf", "-V", "-W", str(real)]))
        names = [v for v in order if v in versions] + [v for v in versions if v not in order]
        script.write_text("".join(f"{v} {{ }};\n" for v in names[:-1]) + f"{names[-1]} {{ local: vs_stub_*; }};\n")
        args.append(f"-Wl,--version-script,{script}")
    subprocess.run(args, check=True)
    return len(symbols)


def package_version() -> str:
    try:
        return run(["dpkg-query", "-W", "-f", "${Version}", "ffmpeg"]).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def assemble(ffmpeg: Path, stage: Path) -> dict:
    paths = resolved_paths(ffmpeg)
    (stage / "bin").mkdir(parents=True)
    (stage / "lib").mkdir()
    (stage / "glibc").mkdir()
    shutil.copy2(ffmpeg, stage / "bin" / "ffmpeg")
    kept, stubbed, glibc = [], {}, []
    work = stage.parent / "stub-src"
    work.mkdir()
    pending, seen = list(needed(ffmpeg)), set()
    while pending:
        soname = pending.pop(0)
        if soname in seen:
            continue
        seen.add(soname)
        if soname not in paths:
            raise SystemExit(f"ldd did not resolve {soname}")
        if soname.startswith(GLIBC):
            shutil.copy2(paths[soname], stage / "glibc" / soname)
            glibc.append(soname)
        elif soname.startswith(KEEP):
            shutil.copy2(paths[soname], stage / "lib" / soname)
            kept.append(soname)
            pending.extend(needed(paths[soname]))
        else:
            stubbed[soname] = write_stub(paths[soname], soname, stage / "lib", work)
    # The loader itself is no DT_NEEDED entry of anyone; ldd names it.
    loader = next((p for name, p in paths.items() if name.startswith("ld-linux")), None)
    if loader and not (stage / "glibc" / loader.name).exists():
        shutil.copy2(loader, stage / "glibc" / loader.name)
        glibc.append(loader.name)
    manifest = {
        "ffmpeg": package_version(),
        "kept": sorted(kept),
        "stubbed": dict(sorted(stubbed.items())),
        "glibc": sorted(glibc),
    }
    (stage / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def check(stage: Path) -> None:
    """The kit's ffmpeg must start with nothing but the kit: empty environment, kit libraries first."""
    env = {"LD_LIBRARY_PATH": str(stage / "lib")}
    out = subprocess.run([str(stage / "bin" / "ffmpeg"), "-hide_banner", "-encoders"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the kit's ffmpeg does not start: {out.stderr.strip()}")
    for encoder in ("hevc_nvenc", "libx265", "libx264"):
        if encoder not in out.stdout:
            raise SystemExit(f"the kit's ffmpeg lacks {encoder}")
    libs = run(["env", "-i", f"LD_LIBRARY_PATH={stage / 'lib'}", "ldd", str(stage / "bin" / "ffmpeg")])
    foreign = [l.strip() for l in libs.splitlines() if "=>" in l and str(stage) not in l and not l.split()[0].startswith(GLIBC)]
    if foreign:
        raise SystemExit("libraries from outside the kit: " + "; ".join(foreign))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ffmpeg", default=shutil.which("ffmpeg") or "/usr/bin/ffmpeg")
    parser.add_argument("--out", default=str(ROOT / ".gpu-kit" / "kit.tar.xz"))
    options = parser.parse_args()
    ffmpeg = Path(os.path.realpath(options.ffmpeg))
    out = Path(options.out)
    with tempfile.TemporaryDirectory(prefix="gpu-kit-") as tmp:
        stage = Path(tmp) / "kit"
        manifest = assemble(ffmpeg, stage)
        check(stage)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:xz", preset=6) as tar:
            tar.add(stage, arcname="kit")
        partial.replace(out)
    size = out.stat().st_size
    print(
        f"{out}: {size / 2**20:.1f} MiB (ffmpeg {manifest['ffmpeg']}; {len(manifest['kept'])} libraries carried, "
        f"{len(manifest['stubbed'])} stubbed, {len(manifest['glibc'])} of glibc)"
    )
    if size > 45 * 2**20:
        sys.exit("the kit is over 45 MiB: too large to carry beside the working tree")


if __name__ == "__main__":
    main()
