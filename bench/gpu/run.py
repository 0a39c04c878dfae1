#!/usr/bin/env python3
"""The GPU bench: what vstream's encodes do on this machine's card, in at most about 5 minutes.

Runs the commands of bench/gpu/plan.json (vstream's own ffmpeg arguments, written by
bench/gpu/plan.ts) with the ffmpeg of .gpu-kit/kit.tar.xz (bench/gpu/prepare.py), or
another one given with --ffmpeg, and writes results.json and results.md (and
nvidia-smi.txt when there is one) to --out, $OUT by default:

- the card, from nvidia-smi -q;
- NVENC: vstream's own probe (a one-frame hevc_nvenc encode); where it works, the clip
  encode at 1, 2, 4 and 8 sessions at once (fps of each and in all); else "not available
  on this card" with ffmpeg's reason;
- the CPU path (vstream's libx265 command) and the CUDA path (NVDEC decode and scale_cuda
  as in vstream's NVENC command, then the same libx265): fps, wall and CPU seconds of
  each, and the PSNR of the CUDA-path clip against the CPU-path clip, with a threshold.
  Without a usable CUDA device, "CUDA decode: not available" with the reason.

Needs Python 3.8+ only (the device machine has no Node and no ffmpeg). A step that fails
is a result; the script exits 0 once it has written both files, 1 only if it broke.
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DRIVER_DIRS = ("/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64")


class Budget:
    """The whole bench's time, and each step's share of it."""

    def __init__(self, total_s: float, step_s: float):
        self.deadline = time.monotonic() + total_s
        self.step_s = step_s

    def next_step(self) -> float:
        return max(0.0, min(self.step_s, self.deadline - time.monotonic()))


class Ffmpeg:
    """How to start the ffmpeg under test: its argv prefix and environment."""

    def __init__(self, prefix: list, env: dict, mode: str):
        self.prefix, self.env, self.mode = prefix, env, mode

    def argv(self, args: list) -> list:
        return self.prefix + args


def driver_library_dirs() -> list:
    """Folders holding the driver's libcuda.so.1, which ffmpeg dlopens for CUDA and NVENC."""
    dirs = []
    try:
        cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
        dirs += [str(Path(p).parent) for p in re.findall(r"libcuda\.so\.1 \(.*x86-64.*\) => (\S+)", cache)]
    except (OSError, subprocess.SubprocessError):
        pass
    dirs += [d for d in DRIVER_DIRS if (Path(d) / "libcuda.so.1").exists()]
    return list(dict.fromkeys(dirs))


def kit_ffmpeg(kit: Path, work: Path, own_glibc: bool) -> Ffmpeg:
    """Unpacks the kit; prefers this machine's glibc, else starts ffmpeg through the kit's own loader."""
    try:
        with tarfile.open(kit) as tar:
            # Python 3.12+ asks for a filter; "data" refuses paths outside `work`.
            tar.extractall(work, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    except tarfile.CompressionError:  # a Python built without lzma
        subprocess.run(["tar", "-xJf", str(kit), "-C", str(work)], check=True, timeout=120)
    root = work / "kit"
    inherited = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    library_path = ":".join([str(root / "lib"), *driver_library_dirs(), *inherited])
    env = {**os.environ, "LD_LIBRARY_PATH": library_path}
    binary = str(root / "bin" / "ffmpeg")
    candidates = [
        Ffmpeg([binary], env, "kit, this machine's glibc"),
        Ffmpeg(
            [str(root / "glibc" / "ld-linux-x86-64.so.2"), "--library-path", f"{library_path}:{root / 'glibc'}", binary],
            dict(os.environ),
            "kit, the kit's own glibc",
        ),
    ]
    for candidate in candidates[1:] if own_glibc else candidates:
        try:
            done = subprocess.run(candidate.argv(["-version"]), env=candidate.env, capture_output=True, timeout=30)
            if done.returncode == 0:
                return candidate
        except (OSError, subprocess.SubprocessError):
            continue
    raise RuntimeError("the kit's ffmpeg starts neither with this machine's glibc nor with its own")


def substitute(args: list, paths: dict) -> list:
    return [paths.get(arg, arg) for arg in args]


def error_lines(text: str) -> list:
    return [line.strip() for line in text.splitlines() if line.strip()]


def reason_of(stderr: str, returncode) -> str:
    """ffmpeg's first error line says why (later ones are consequences), else the exit status."""
    lines = error_lines(stderr)
    return lines[0] if lines else f"exit status {returncode}"


def run_measured(ffmpeg: Ffmpeg, commands: list, timeout_s: float, work: Path) -> dict:
    """Runs the commands at once; wall and CPU seconds (all of them), and each one's outcome."""
    if timeout_s <= 0:
        return {"ok": False, "reason": "skipped: the bench's time budget was spent"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    logs, processes = [], []
    for i, args in enumerate(commands):
        log = open(work / f"stderr-{time.monotonic_ns()}-{i}.txt", "w+")
        logs.append(log)
        processes.append(
            subprocess.Popen(ffmpeg.argv(args), env=ffmpeg.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        )
    timed_out = False
    for process in processes:
        try:
            process.wait(timeout=max(0.1, start + timeout_s - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            process.kill()
            process.wait()
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    outcomes = []
    for process, log in zip(processes, logs):
        log.seek(0)
        stderr = log.read()
        log.close()
        outcomes.append({"returncode": process.returncode, "stderr": error_lines(stderr)[-5:], "reason": reason_of(stderr, process.returncode)})
    failed = [o for o in outcomes if o["returncode"] != 0]
    result = {
        "ok": not failed and not timed_out,
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
    }
    if timed_out:
        result["reason"] = f"timed out after {timeout_s:.0f} s"
    elif failed:
        result["reason"] = failed[0]["reason"]
        result["stderr"] = failed[0]["stderr"]
    return result


def with_rates(result: dict, frames: int, sessions: int = 1) -> dict:
    if result.get("ok") and result["wall_s"] > 0:
        result["fps"] = round(sessions * frames / result["wall_s"], 1)
        result["cores_busy"] = round(result["cpu_s"] / result["wall_s"], 1)
        if sessions > 1:
            result["fps_per_session"] = round(frames / result["wall_s"], 1)
    return result


def count_frames(ffmpeg: Ffmpeg, path: Path, timeout_s: float):
    """Frames in a raw stream, by remuxing it to nowhere and reading the last progress report."""
    args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
    try:
        done = subprocess.run(ffmpeg.argv(args), env=ffmpeg.env, capture_output=True, text=True, timeout=max(1.0, timeout_s))
    except subprocess.TimeoutExpired:
        return None
    frames = re.findall(r"^frame=(\d+)$", done.stdout, re.MULTILINE)
    return int(frames[-1]) if done.returncode == 0 and frames else None


def measure_psnr(ffmpeg: Ffmpeg, plan: dict, clip: Path, reference: Path, timeout_s: float) -> dict:
    args = substitute(plan["commands"]["psnr"], {plan["placeholders"]["clip"]: str(clip), plan["placeholders"]["reference"]: str(reference)})
    try:
        done = subprocess.run(ffmpeg.argv(args), env=ffmpeg.env, capture_output=True, text=True, timeout=max(1.0, timeout_s))
    except subprocess.TimeoutExpired:
        return {"ok": False, "reason": f"timed out after {timeout_s:.0f} s"}
    match = re.search(r"PSNR y:(\S+) u:(\S+) v:(\S+) average:(\S+) min:(\S+) max:(\S+)", done.stderr)
    if done.returncode != 0 or not match:
        return {"ok": False, "reason": reason_of(done.stderr, done.returncode)}
    y, u, v, average, minimum, _ = (round(float(x), 2) for x in match.groups())
    threshold = plan["psnrThresholdDb"]
    return {"ok": True, "y": y, "u": u, "v": v, "average_db": average, "min_db": minimum, "threshold_db": threshold, "passed": average >= threshold}


def probe_card(out: Path) -> dict:
    smi = shutil.which("nvidia-smi")
    if not smi:
        return {"nvidia_smi": "not present"}
    try:
        done = subprocess.run([smi, "-q"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return {"nvidia_smi": f"failed: {error}"}
    (out / "nvidia-smi.txt").write_text(done.stdout + done.stderr)
    card = {"nvidia_smi": "nvidia-smi.txt" if done.returncode == 0 else f"exit status {done.returncode}: {reason_of(done.stderr, done.returncode)}"}
    for key in ("Product Name", "Product Architecture", "Driver Version", "CUDA Version"):
        match = re.search(rf"^\s*{key}\s*:\s*(.+)$", done.stdout, re.MULTILINE)
        if match:
            card[key] = match.group(1).strip()
    return card


def bench(plan: dict, ffmpeg: Ffmpeg, work: Path, out: Path, budget: Budget, results: dict) -> None:
    names = plan["placeholders"]
    frames = plan["clip"]["endFrame"] - plan["clip"]["startFrame"]
    source = work / "source.mp4"
    commands = plan["commands"]

    def encode(command: str, outputs: list) -> dict:
        return run_measured(ffmpeg, [substitute(commands[command], {names["source"]: str(source), names["output"]: str(o)}) for o in outputs], budget.next_step(), work)

    results["card"] = probe_card(out)
    made = run_measured(ffmpeg, [substitute(commands["makeSource"], {names["output"]: str(source)})], budget.next_step(), work)
    results["source"] = {**made, **plan["source"]}
    if not made["ok"]:
        return

    probe = run_measured(ffmpeg, [commands["nvencProbe"]], budget.next_step(), work)
    nvenc = results["nvenc"] = {"available": probe["ok"], "sessions": {}}
    if not probe["ok"]:
        nvenc["reason"] = probe.get("reason")
    else:
        for sessions in plan["nvencSessions"]:
            outputs = [work / f"nvenc-{sessions}-{i}.hevc" for i in range(sessions)]
            run = nvenc["sessions"][str(sessions)] = with_rates(encode("nvenc", outputs), frames, sessions)
            if not run["ok"]:
                break  # more sessions than this will not open either
            run["frames"] = count_frames(ffmpeg, outputs[0], budget.next_step())

    cpu_clip, cuda_clip = work / "cpu-x265.hevc", work / "cuda-x265.hevc"
    cpu = results["cpu_x265"] = with_rates(encode("x265", [cpu_clip]), frames)
    if cpu["ok"]:
        cpu["frames"] = count_frames(ffmpeg, cpu_clip, budget.next_step())
    probe = run_measured(ffmpeg, [commands["cudaProbe"]], budget.next_step(), work)
    cuda = results["cuda_x265"] = {"available": probe["ok"]}
    if not probe["ok"]:
        cuda["reason"] = probe.get("reason")
        return
    cuda.update(with_rates(encode("cudaX265", [cuda_clip]), frames))
    if not cuda["ok"]:
        # The device works (the probe passed), so NVDEC or this chain is what failed.
        cuda["available"] = False
        return
    cuda["frames"] = count_frames(ffmpeg, cuda_clip, budget.next_step())
    if cpu["ok"]:
        results["psnr"] = measure_psnr(ffmpeg, plan, cuda_clip, cpu_clip, budget.next_step())


def fmt(value, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def markdown(results: dict) -> str:
    """results.md: the same results for a person."""
    lines = ["# vstream GPU bench", ""]
    card = results.get("card", {})
    lines.append(f"- machine: {results['host']}; ffmpeg: {results.get('ffmpeg', {}).get('version', '-')} ({results.get('ffmpeg', {}).get('mode', '-')})")
    lines.append(f"- card: {card.get('Product Name', 'none found')} (driver {card.get('Driver Version', '-')}, CUDA {card.get('CUDA Version', '-')}; nvidia-smi: {card.get('nvidia_smi', '-')})")
    plan = results["plan"]
    lines.append(
        f"- source: {plan['source']['width']}x{plan['source']['height']} {plan['source']['fps']} fps H.264, {plan['source']['seconds']} s; "
        f"clip: frames {plan['clip']['startFrame']}-{plan['clip']['endFrame']} ({plan['frames']} frames) to {plan['settings']['width']}x{plan['settings']['height']} HEVC"
    )
    source = results.get("source", {})
    if source and not source.get("ok"):
        lines.append(f"- source: could not be made ({source.get('reason')})")
    lines.append("")
    nvenc = results.get("nvenc")
    if nvenc is not None:
        if not nvenc["available"]:
            lines.append(f"NVENC: not available on this card ({nvenc.get('reason')})")
        else:
            lines += ["NVENC (vstream's hevc_nvenc command), sessions at once:", "", "| sessions | fps in all | fps each | wall s | CPU s | frames | result |", "| --- | --- | --- | --- | --- | --- | --- |"]
            for sessions, run in nvenc["sessions"].items():
                lines.append(f"| {sessions} | {fmt(run.get('fps'))} | {fmt(run.get('fps_per_session', run.get('fps')))} | {fmt(run.get('wall_s'))} | {fmt(run.get('cpu_s'))} | {fmt(run.get('frames'))} | {'ok' if run['ok'] else run.get('reason')} |")
        lines.append("")
    rows = [("CPU: decode, swscale, libx265", results.get("cpu_x265")), ("CUDA: NVDEC, scale_cuda, hwdownload, libx265", results.get("cuda_x265"))]
    if any(r is not None for _, r in rows):
        lines += ["| path | fps | wall s | CPU s | cores busy | frames | result |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, run in rows:
            if run is None:
                continue
            if run.get("available") is False:
                lines.append(f"| {name} | - | - | - | - | - | CUDA decode: not available ({run.get('reason')}) |")
                continue
            outcome = "ok" if run.get("ok") else f"failed: {run.get('reason')}"
            lines.append(f"| {name} | {fmt(run.get('fps'))} | {fmt(run.get('wall_s'))} | {fmt(run.get('cpu_s'))} | {fmt(run.get('cores_busy'))} | {fmt(run.get('frames'))} | {outcome} |")
        lines.append("")
    psnr = results.get("psnr")
    if psnr is not None:
        if psnr["ok"]:
            verdict = "pass" if psnr["passed"] else "FAIL"
            lines.append(f"PSNR of the CUDA-path clip against the CPU-path clip: average {psnr['average_db']} dB (y {psnr['y']}, u {psnr['u']}, v {psnr['v']}, min {psnr['min_db']}); threshold {psnr['threshold_db']} dB: {verdict}")
        else:
            lines.append(f"PSNR: could not be measured ({psnr.get('reason')})")
        lines.append("")
    if results.get("error"):
        lines += [f"The bench broke: {results['error']}", ""]
    lines.append(f"Took {results.get('took_s', '-')} s.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default=str(ROOT / "bench" / "gpu" / "plan.json"))
    parser.add_argument("--kit", default=str(ROOT / ".gpu-kit" / "kit.tar.xz"), help="the carried ffmpeg (bench/gpu/prepare.py)")
    parser.add_argument("--kit-glibc", action="store_true", help="start the kit's ffmpeg through the kit's glibc even where this machine's would do")
    parser.add_argument("--ffmpeg", help="use this ffmpeg instead of the kit")
    parser.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "bench-out" / "gpu"))
    parser.add_argument("--budget-s", type=float, default=270, help="the whole bench, unpacking included")
    parser.add_argument("--step-timeout-s", type=float, default=120)
    options = parser.parse_args()

    started = time.monotonic()
    budget = Budget(options.budget_s, options.step_timeout_s)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    plan = json.loads(Path(options.plan).read_text())
    results = {
        "host": f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}",
        "plan": {k: plan[k] for k in ("source", "clip", "settings", "x265Preset", "psnrThresholdDb")},
    }
    results["plan"]["frames"] = plan["clip"]["endFrame"] - plan["clip"]["startFrame"]
    broken = False
    work = Path(tempfile.mkdtemp(prefix="vstream-gpu-bench-"))
    try:
        if options.ffmpeg:
            ffmpeg = Ffmpeg([options.ffmpeg], dict(os.environ), f"given: {options.ffmpeg}")
        elif Path(options.kit).exists():
            ffmpeg = kit_ffmpeg(Path(options.kit), work, options.kit_glibc)
        elif shutil.which("ffmpeg"):
            ffmpeg = Ffmpeg([shutil.which("ffmpeg")], dict(os.environ), "PATH (no kit)")
        else:
            raise RuntimeError(f"no kit at {options.kit} (make it with bench/gpu/prepare.py and carry .gpu-kit) and no ffmpeg on PATH")
        version = subprocess.run(ffmpeg.argv(["-version"]), env=ffmpeg.env, capture_output=True, text=True, timeout=30).stdout
        results["ffmpeg"] = {"mode": ffmpeg.mode, "version": " ".join((version.splitlines() or ["?"])[0].split()[:3])}
        bench(plan, ffmpeg, work, out, budget, results)
    except Exception as error:  # noqa: BLE001 - written down as the bench's own failure
        results["error"] = f"{type(error).__name__}: {error}"
        broken = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        results["took_s"] = round(time.monotonic() - started, 1)
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (out / "results.md").write_text(markdown(results))
    print((out / "results.md").read_text())
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
