"""A supervisor process between the worker and Terraform (or Packer), so that nothing a run
started outlives it.

Why: Terraform starts provider plugins and local-exec shells, and those start their own
children. A signal to Terraform alone, or ``PR_SET_PDEATHSIG`` on Terraform alone, reaches none
of them; after a worker dies they would run on, re-parented to init, possibly still changing
infrastructure after the reaper released the state lock.

How: the supervisor is a fork of the worker (no new interpreter, so it costs a fork, not a
Python start-up). The fork is made ahead: while a command runs, :func:`prepare_next` forks the
supervisor of the worker's next command, which sets itself up and waits; :func:`start_supervised`
hands it the command (program, arguments, environment, folder) over a pipe, so a command's start
costs a pipe write instead of a fork of the whole worker (a few ms each, three per plan+apply).
The waiting supervisor holds only its pipes, and exits when the worker does. The forked copy:

* it leads a new session and process group; the tool is forked from it into the same group, so
  the runner's SIGINT and SIGTERM to the group reach the tool and everything it started, while
  the supervisor itself ignores both and stays to clean up;
* it is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so a descendant whose parent exits, or
  one that left the group with ``setsid``, is re-parented to the supervisor, not to init, and
  can still be found in the supervisor's process tree and killed;
* it gets ``PARENT_DIED`` when the worker dies (``PR_SET_PDEATHSIG``, even on kill -9). It then
  stops the tool in the same order as a cancel: SIGINT, a grace period, SIGTERM, a grace period,
  then SIGKILL of the whole tree. Meanwhile it reads and discards the output pipes (it holds a
  copy of their read ends), because Terraform whose stdout is a closed pipe dies on its next
  write without releasing its state lock;
* ``KILL_ALL`` from the runner kills the whole tree at once (the last step of a stop);
* when the tool exits, descendants left behind get ``DRAIN_S`` to exit, then are killed; the
  supervisor then exits the way the tool did (same exit code, or the same signal), so the
  runner sees the tool's own result.

Linux only (prctl, /proc).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PARENT_DIED = signal.SIGUSR1
KILL_ALL = signal.SIGUSR2
DRAIN_S = 1.0  # how long descendants may outlive the tool before they are killed

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_WATCHED = {signal.SIGCHLD, PARENT_DIED, KILL_ALL}
# Signals whose handlers the forked worker copy may carry (Celery installs some); reset them.
_RESET = (signal.SIGHUP, signal.SIGQUIT, signal.SIGALRM, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD)


class Supervised:
    """The runner's handle on a supervisor: a small subset of ``subprocess.Popen``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        # A pidfd becomes readable when the process exits, so wait() wakes at once (Linux 5.3+);
        # without one, wait() polls.
        self._pidfd: int | None = None
        with contextlib.suppress(OSError, AttributeError):
            self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                if self._pidfd is not None:
                    os.close(self._pidfd)
                    self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Waits for the supervisor to exit; raises subprocess.TimeoutExpired after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
            if self._pidfd is not None:
                select.select([self._pidfd], [], [], left)
            else:
                time.sleep(delay if left is None else min(delay, left))
                delay = min(delay * 2, 0.02)
        assert self.returncode is not None
        return self.returncode

    def signal_group(self, sig: signal.Signals) -> None:
        """Signals the tool's process group (the supervisor ignores SIGINT and SIGTERM)."""
        # The supervisor leads its session and group, so its pid is the group id. Linux does not
        # reuse a pid while it is still a live group's id, so this cannot hit a stranger's group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def kill_all(self) -> None:
        """Asks the supervisor to kill the whole tree; kills the group itself if the supervisor
        does not exit within two seconds (it is gone or stopped)."""
        if self.poll() is not None:
            self.signal_group(signal.SIGKILL)  # anything left in the group after the supervisor
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, KILL_ALL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(timeout=2.0)
        self.signal_group(signal.SIGKILL)


def resolve(program: str, env: Mapping[str, str]) -> str:
    """The path exec would run for ``program``; raises FileNotFoundError or PermissionError."""
    if "/" in program:
        if not os.path.isfile(program):
            raise FileNotFoundError(2, "No such file or directory", program)
        if not os.access(program, os.X_OK):
            raise PermissionError(13, "Permission denied", program)
        return program
    found = shutil.which(program, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(2, "No such file or directory in PATH", program)
    return found


@dataclass
class _Prepared:
    """A supervisor forked ahead, waiting for its command on ``control`` (the write end)."""

    pid: int
    control: int
    out_read: int
    err_read: int


_next: _Prepared | None = None  # the next command's supervisor (main thread only; see prepare_next)


def _forget_next() -> None:
    """In a forked child: the parent's waiting supervisor is not the child's. Close the child's
    copies of its pipes, so that the parent's exit still ends its wait."""
    global _next
    if _next is not None:
        for fd in (_next.control, _next.out_read, _next.err_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        _next = None


os.register_at_fork(after_in_child=_forget_next)


def start_supervised(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], grace_s: float
) -> tuple[Supervised, int, int]:
    """Starts ``argv`` under a supervisor: the one :func:`prepare_next` forked ahead when there is
    one, else a new one. Returns its handle and the read ends of the tool's stdout and stderr
    pipes (the caller closes them). Raises OSError (before anything starts) when the program
    cannot be found."""
    global _next
    request = json.dumps(
        {
            "program": resolve(argv[0], env),
            "argv": list(argv),
            "env": dict(env),
            "cwd": str(cwd),
            "grace_s": grace_s,
        }
    ).encode()
    prepared = None
    if _on_main_thread():  # another thread leaves the main thread's waiting supervisor alone
        prepared, _next = _next, None
    if prepared is None:
        prepared = _prepare()
    try:
        _send(prepared, request)
    except BrokenPipeError:  # it died while it waited (killed from outside): fork a new one
        _discard(prepared)
        prepared = _prepare()
        _send(prepared, request)
    return Supervised(prepared.pid), prepared.out_read, prepared.err_read


def prepare_next() -> None:
    """Forks the supervisor of this worker's next command now, while a command runs, so that the
    next start costs no fork. Only on the main thread, which runs a Celery worker's tasks: a
    supervisor's parent-death signal follows the thread that forked it."""
    global _next
    if _on_main_thread() and _next is None:
        _next = _prepare()


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _prepare() -> _Prepared:
    out_read, out_write = os.pipe()  # all close-on-exec: the tool gets only its dup2 copies
    err_read, err_write = os.pipe()
    control_read, control_write = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        for fd in (out_read, out_write, err_read, err_write, control_read, control_write):
            os.close(fd)
        raise
    if pid == 0:  # the supervisor: never returns into the caller's stack
        code = 70
        try:
            code = _supervise(parent, control_read, out_write, err_write, (out_read, err_read))
        finally:
            os._exit(code)
    for fd in (out_write, err_write, control_read):
        os.close(fd)
    return _Prepared(pid, control_write, out_read, err_read)


def _send(prepared: _Prepared, request: bytes) -> None:
    try:
        view = memoryview(request)
        while view:
            view = view[os.write(prepared.control, view) :]
    finally:
        os.close(prepared.control)


def _discard(prepared: _Prepared) -> None:
    for fd in (prepared.out_read, prepared.err_read):
        os.close(fd)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(prepared.pid, 0)


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value, 0, 0, 0)


def _supervise(parent: int, control_fd: int, stdout_fd: int, stderr_fd: int, drain_fds: Sequence[int]) -> int:
    gc.disable()  # a finalizer of an inherited object could close a reused fd number
    signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    for sig in _RESET:
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.setsid()
    _prctl(_PR_SET_PDEATHSIG, PARENT_DIED)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _close_all_but(sorted({control_fd, stdout_fd, stderr_fd, *drain_fds}))

    request = _await_command(control_fd, parent)
    os.close(control_fd)
    if not request or os.getppid() != parent:
        return 0
    command = json.loads(request)
    program, argv, grace_s = command["program"], command["argv"], float(command["grace_s"])
    try:
        tool = _spawn_tool(program, argv, command["env"], command["cwd"], stdout_fd, stderr_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.write(stderr_fd, f"could not start {argv[0]}: {exc}\n".encode())
        return 127
    os.close(stdout_fd)
    os.close(stderr_fd)

    status: int | None = None
    stop_at: list[float] = []  # when to send the next stop signal after the worker died
    stop_signals = [signal.SIGTERM]
    while status is None:
        if stop_at:
            _drain(drain_fds)
        info = _wait_signal(0.05 if stop_at else None)
        if info == PARENT_DIED and not stop_at:
            stop_at = _begin_stop()
        elif info == KILL_ALL:
            status = _kill_tree(tool)
        if status is None:
            status = _reap(tool)
        if status is None and stop_at and time.monotonic() >= stop_at[0] + grace_s:
            if stop_signals:
                os.killpg(0, stop_signals.pop())
                stop_at = [time.monotonic()]
            else:
                status = _kill_tree(tool)

    # The tool exited: descendants it left get DRAIN_S to finish, then are killed.
    deadline = time.monotonic() + DRAIN_S
    while _descendants() and time.monotonic() < deadline:
        if _wait_signal(max(0.0, deadline - time.monotonic())) == KILL_ALL:
            break
        _reap(None)
    _kill_tree()
    return _exit_like(status)


def _await_command(control_fd: int, parent: int) -> bytes:
    """The command the worker writes (then closes its end), or b"" once the worker is gone: its
    end closed with nothing written (the worker exited, even by kill -9), or the worker is no
    longer this process's parent (a child it forked might still hold the pipe's other end)."""
    chunks: list[bytes] = []
    while os.getppid() == parent:
        if not select.select([control_fd], [], [], 1.0)[0]:
            continue
        chunk = os.read(control_fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    return b""


def _begin_stop() -> list[float]:
    os.killpg(0, signal.SIGINT)  # what Ctrl-C does; Terraform then saves state and unlocks
    return [time.monotonic()]


def _spawn_tool(
    program: str, argv: list[str], env: dict[str, str], cwd: str, out_fd: int, err_fd: int
) -> int:
    """Starts the tool in the supervisor's group with posix_spawn (a vfork: a fork of this
    worker copy would cost ~10 ms more), default signal handling and an empty signal mask.
    Every descriptor but 0-2 is close-on-exec by then (the pipes are, and _close_all_but closed
    the rest)."""
    os.chdir(cwd)  # posix_spawn has no working-directory option; the supervisor's own is unused
    return os.posix_spawn(
        program,
        argv,
        env,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out_fd, 1),
            (os.POSIX_SPAWN_DUP2, err_fd, 2),
        ],
        setsigmask=(),
        setsigdef=(signal.SIGINT, signal.SIGTERM, PARENT_DIED, KILL_ALL, *_RESET),
    )


def _close_all_but(keep: list[int]) -> None:
    # Only the descriptors that are open: closing every number up to the limit costs ~10 ms
    # where close_range(2) is not used.
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor, already closed
                os.close(fd)


def _wait_signal(timeout: float | None) -> int | None:
    if timeout is None:
        return int(signal.sigwaitinfo(_WATCHED).si_signo)
    info = signal.sigtimedwait(_WATCHED, timeout)
    return None if info is None else int(info.si_signo)


def _drain(fds: Sequence[int]) -> bool:
    """Reads and discards what is waiting in the output pipes; True if anything was read."""
    read_any = False
    with contextlib.suppress(OSError, ValueError):
        ready, _, _ = select.select(list(fds), [], [], 0)
        for fd in ready:
            read_any = bool(os.read(fd, 65536)) or read_any
    return read_any


def _reap(tool: int | None) -> int | None:
    """Reaps every exited child (re-parented orphans included); the tool's wait status if it
    was among them."""
    found = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return found
        if pid == 0:
            return found
        if pid == tool:
            found = status


def _descendants(root: int | None = None) -> list[int]:
    pids, todo = [], [root or os.getpid()]
    while todo:
        pid = todo.pop()
        for child in _children(pid):
            pids.append(child)
            todo.append(child)
    return pids


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def _kill_tree(tool: int | None = None) -> int | None:
    """SIGKILLs every descendant until none is left (killing one re-parents its children here).
    Returns the tool's wait status if this reaped it: the caller must not wait for it again (it
    would wait for ever)."""
    found = None
    for _ in range(100):
        pids = _descendants()
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)
        reaped = _reap(tool)
        found = reaped if reaped is not None else found
    return found


def _exit_like(status: int) -> int:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig != signal.SIGKILL:  # SIGKILL has no handler to reset and cannot be blocked
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
        return 128 + sig
    return os.waitstatus_to_exitcode(status)
