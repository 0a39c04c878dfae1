"""yt-dlp runs forked from one warm Python process (vstream's src/tools/ytdlp-runner.ts).

A yt-dlp process spends about 0.45 CPU s before its first byte: Python's start, the
import, and matching the URL against ~1,900 extractor patterns compiled one by one.
This process pays that once; each run is a fork that calls yt_dlp.main(argv) with the
same arguments a yt-dlp process would get, so it behaves as one: its own process group
(the caller signals -pid), the same exit code, stdout and stderr line by line.

Protocol, one JSON object per line. In (stdin): {"id": N, "argv": [...]}.
Out (stdout): {"ready": version} once warm; then per run {"id", "pid"}, {"id", "fd": 1|2,
"line"} and last {"id", "exit": code or null, "signal": number or null}; or, when yt-dlp
changed on disk since the warm-up (an upgrade), only {"id", "stale": reason}: nothing ran,
and the caller warms up a new process. Runs under way finish on this one.
The process ends when stdin closes; the runs it forked die with it (parent-death signal).
"""

import ctypes
import json
import os
import selectors
import signal
import sys
import traceback

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)


def set_process_name(name):
    """What ps and top show (the kernel's comm): the runs read as yt-dlp, as before."""
    libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def emit(message):
    # Raw writes: nothing buffered in this process for a fork to inherit and repeat.
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(1, data):]


def warm():
    import yt_dlp
    from yt_dlp.extractor import gen_extractor_classes

    # Each extractor compiles its URL pattern once per class: compiled here, every fork has them.
    for extractor in gen_extractor_classes():
        extractor.suitable("https://vstream.invalid/warm-up")
    return yt_dlp


def fingerprint(paths):
    """What changes when yt-dlp is upgraded: its entry script and its version file are rewritten."""
    found = []
    for path in paths:
        try:
            status = os.stat(path)
            found.append((path, status.st_ino, status.st_mtime_ns, status.st_size))
        except OSError:
            found.append((path, None))
    return found


def run_child(yt_dlp, argv, out_fd, err_fd, started_fd, server_pid):
    """In the fork: become a yt-dlp process of its own, run, exit with its code."""
    try:
        os.setsid()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        set_process_name("yt-dlp")
        if os.getppid() != server_pid:
            os._exit(1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.set_wakeup_fd(-1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        # Its group and name are set: the server may hand its pid to the caller now.
        os.write(started_fd, b".")
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)
        sys.argv = ["yt-dlp", *argv]
        code = 0
        try:
            yt_dlp.main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    except BaseException:  # noqa: BLE001 - a fork must never return into the server's loop
        try:
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(1)


class Run:
    def __init__(self, run_id, pid):
        self.id = run_id
        self.pid = pid
        self.open_streams = 2
        self.status = None
        self.pending = {1: b"", 2: b""}


def main():
    set_process_name("yt-dlp-warm")
    yt_dlp = warm()
    version = yt_dlp.version.__version__
    watched = [*sys.argv[1:2], yt_dlp.version.__file__]
    warmed = fingerprint(watched)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, ("stdin", None))
    selector.register(wake_read, selectors.EVENT_READ, ("wake", None))
    runs = {}
    stdin_buffer = b""
    emit({"ready": version})

    def start(request):
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        started_read, started_write = os.pipe()
        server_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            run_child(yt_dlp, [str(a) for a in request["argv"]], out_write, err_write, started_write, server_pid)
        for fd in (out_write, err_write, started_write):
            os.close(fd)
        # A signal to -pid must reach it: wait until it has its own group (or has died).
        os.read(started_read, 1)
        os.close(started_read)
        run = Run(request["id"], pid)
        runs[pid] = run
        selector.register(out_read, selectors.EVENT_READ, ("output", (run, 1)))
        selector.register(err_read, selectors.EVENT_READ, ("output", (run, 2)))
        emit({"id": run.id, "pid": pid})

    def finish_if_done(run):
        if run.open_streams == 0 and run.status is not None and run.pid in runs:
            del runs[run.pid]
            code = os.waitstatus_to_exitcode(run.status)
            emit({"id": run.id, "exit": code if code >= 0 else None, "signal": -code if code < 0 else None})

    def reap():
        while runs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run = runs.get(pid)
            if run:
                run.status = status
                finish_if_done(run)

    def emit_lines(run, fd, data):
        lines = (run.pending[fd] + data).split(b"\n")
        run.pending[fd] = lines.pop()
        for line in lines:
            emit({"id": run.id, "fd": fd, "line": line.decode("utf-8", "replace")})

    while True:
        for key, _ in selector.select():
            kind, detail = key.data
            if kind == "wake":
                os.read(wake_read, 512)
                reap()
            elif kind == "stdin":
                data = os.read(0, 65536)
                if not data:
                    return
                stdin_buffer += data
                *requests, stdin_buffer = stdin_buffer.split(b"\n")
                for request in requests:
                    if not request.strip():
                        continue
                    request = json.loads(request)
                    if fingerprint(watched) != warmed:
                        emit({"id": request["id"], "stale": f"yt-dlp changed on disk since {version} was warmed up"})
                    else:
                        start(request)
            else:
                run, fd = detail
                data = os.read(key.fd, 65536)
                if data:
                    emit_lines(run, fd, data)
                    continue
                selector.unregister(key.fd)
                os.close(key.fd)
                if run.pending[fd]:
                    emit_lines(run, fd, b"\n")
                run.open_streams -= 1
                reap()
                finish_if_done(run)


if __name__ == "__main__":
    main()
