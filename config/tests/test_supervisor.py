"""scripts/supervise, which `make run` runs on the Procfile: it restarts a process
that dies, backs off one that keeps dying, and stops everything with status 0.

Each test runs the real script on a small Procfile of Python one-liners, with
short backoff and grace periods from the environment, and reads its output.
"""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from testsupport import REPO_ROOT

SUPERVISE = REPO_ROOT / "scripts" / "supervise"
PYTHON = sys.executable
FOREVER = "for _ in iter(int, 1)"  # iter(int, 1) never ends: a loop in one line
TICKER = f"{PYTHON} -c \"import time; [print('tick', flush=True) or time.sleep(0.2) {FOREVER}]\""
CRASHER = f"{PYTHON} -c \"import sys; print('crashing'); sys.exit(3)\""
DEAF_TO_SIGTERM = (
    f"{PYTHON} -c \"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('deaf', flush=True); "
    f'[time.sleep(1) {FOREVER}]"'
)
# Leaves a sleep behind in its process group, as a server's helper would.
WITH_HELPER = (
    f"{PYTHON} -c \"import subprocess, time; print('helper', subprocess.Popen(['sleep', '60']).pid, flush=True); "
    f'[time.sleep(1) {FOREVER}]"'
)
QUICK = {
    "SUPERVISE_BACKOFF_SECONDS": "0.1",
    "SUPERVISE_BACKOFF_MAX_SECONDS": "0.8",
    "SUPERVISE_STABLE_SECONDS": "60",
    "SUPERVISE_STOP_SECONDS": "2",
}


def write_procfile(directory: Path, **commands: str) -> Path:
    path = directory / "Procfile"
    path.write_text("# processes under test\n" + "".join(f"{name}: {command}\n" for name, command in commands.items()))
    return path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its parent's.
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


class Supervised:
    """The supervisor on a Procfile, in a session of its own (no terminal), its output collected."""

    def __init__(self, procfile: Path, **env: str):
        self.process = subprocess.Popen(
            [PYTHON, str(SUPERVISE), str(procfile)],
            env={**os.environ, **QUICK, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self.collect, daemon=True)
        self.reader.start()

    def collect(self) -> None:
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def matches(self, pattern: str) -> list[re.Match]:
        with self.changed:
            return [m for line in self.lines if (m := re.search(pattern, line))]

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 10) -> list[re.Match]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(found := self.matches(pattern)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {count} lines matching {pattern!r} in:\n" + "\n".join(self.lines))
                self.changed.wait(left)
            return found

    def pid_of(self, name: str) -> int:
        return int(self.wait_for(rf"system \| {name} started \(pid (\d+)\)")[-1].group(1))

    def stop(self, signum: int = signal.SIGINT, timeout: float = 10) -> int:
        self.process.send_signal(signum)
        returncode = self.process.wait(timeout)
        self.reader.join(timeout=2)
        return returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for match in self.matches(r"started \(pid (\d+)\)"):
            try:
                os.killpg(int(match.group(1)), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def supervise():
    started = []

    def start(procfile: Path, **env: str) -> Supervised:
        started.append(Supervised(procfile, **env))
        return started[-1]

    yield start
    for supervised in started:
        supervised.close()


def test_a_killed_process_is_logged_and_restarted_while_the_others_keep_running(tmp_path, supervise):
    supervised = supervise(write_procfile(tmp_path, api=TICKER, beat=TICKER))
    api, beat = supervised.pid_of("api"), supervised.pid_of("beat")
    supervised.wait_for(r"api +\| tick")

    os.kill(api, signal.SIGKILL)

    supervised.wait_for(r"system \| api exited \(signal SIGKILL\); restarting it in 0\.1s")
    supervised.wait_for(r"system \| api started", count=2)
    restarted = supervised.pid_of("api")
    assert restarted != api and alive(restarted)
    supervised.wait_for(r"api +\| tick", count=2)
    assert alive(beat)
    assert len(supervised.matches(r"beat started")) == 1
    assert not supervised.matches(r"beat exited")
    assert supervised.stop() == 0


def test_a_process_that_keeps_crashing_is_restarted_ever_later_up_to_the_limit(tmp_path, supervise):
    supervised = supervise(write_procfile(tmp_path, crash=CRASHER, ticker=TICKER))

    supervised.wait_for(r"crash started", count=6)

    delays = [
        float(m.group(1)) for m in supervised.matches(r"crash exited \(exit code 3\); restarting it in ([\d.]+)s")
    ]
    assert delays[:5] == [0.1, 0.2, 0.4, 0.8, 0.8]
    assert len(supervised.matches(r"crash +\| crashing")) >= 5
    assert len(supervised.matches(r"ticker started")) == 1
    assert supervised.stop() == 0


def test_a_process_that_stayed_up_long_enough_is_restarted_after_the_first_delay_again(tmp_path, supervise):
    lives_a_while = f'{PYTHON} -c "import sys, time; time.sleep(0.4); sys.exit(1)"'
    supervised = supervise(write_procfile(tmp_path, steady=lives_a_while), SUPERVISE_STABLE_SECONDS="0.3")

    supervised.wait_for(r"steady exited", count=3)

    delays = [
        float(m.group(1)) for m in supervised.matches(r"steady exited \(exit code 1\); restarting it in ([\d.]+)s")
    ]
    assert delays[:3] == [0.1, 0.1, 0.1]
    assert supervised.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_ends_every_process_and_its_group_with_status_0(tmp_path, supervise, signum):
    supervised = supervise(write_procfile(tmp_path, api=TICKER, mcp=WITH_HELPER))
    pids = [supervised.pid_of("api"), supervised.pid_of("mcp")]
    pids.append(int(supervised.wait_for(r"mcp +\| helper (\d+)")[0].group(1)))

    assert supervised.stop(signum) == 0

    supervised.wait_for(rf"{signum.name} received: stopping every process")
    supervised.wait_for(r"api stopped \(signal SIGTERM\)")
    assert not [pid for pid in pids if alive(pid)]


def test_a_process_deaf_to_sigterm_is_killed_after_its_grace(tmp_path, supervise):
    supervised = supervise(write_procfile(tmp_path, deaf=DEAF_TO_SIGTERM), SUPERVISE_STOP_SECONDS="0.5")
    deaf = supervised.pid_of("deaf")
    supervised.wait_for(r"deaf +\| deaf")

    started = time.monotonic()
    assert supervised.stop() == 0

    assert 0.5 <= time.monotonic() - started < 5
    supervised.wait_for(r"deaf did not stop within 0\.5s: killing it")
    supervised.wait_for(r"deaf stopped \(signal SIGKILL\)")
    assert not alive(deaf)


def test_a_second_ctrl_c_kills_at_once_but_a_signal_passed_on_by_a_parent_does_not(tmp_path, supervise):
    # A terminal's Ctrl-C reaches the supervisor and scripts/with-redis, which passes it on as SIGTERM.
    passed_on = supervise(write_procfile(tmp_path, deaf=DEAF_TO_SIGTERM), SUPERVISE_STOP_SECONDS="0.5")
    passed_on.wait_for(r"deaf +\| deaf")
    passed_on.process.send_signal(signal.SIGINT)
    passed_on.process.send_signal(signal.SIGTERM)
    assert passed_on.process.wait(10) == 0
    passed_on.wait_for(r"deaf did not stop within 0\.5s: killing it")

    insisted = supervise(write_procfile(tmp_path, deaf=DEAF_TO_SIGTERM), SUPERVISE_STOP_SECONDS="30")
    insisted.wait_for(r"deaf +\| deaf")
    insisted.process.send_signal(signal.SIGINT)
    insisted.wait_for(r"sending SIGTERM to deaf")
    time.sleep(0.7)
    assert insisted.stop(signal.SIGINT) == 0
    insisted.wait_for(r"interrupted again: killing what is left")
    insisted.wait_for(r"deaf stopped \(signal SIGKILL\)")


def test_the_worker_gets_its_shutdown_grace_and_five_seconds_more(tmp_path, supervise):
    supervised = supervise(write_procfile(tmp_path, worker=TICKER, api=TICKER), WORKER_SHUTDOWN_GRACE="7")
    supervised.pid_of("worker")
    supervised.pid_of("api")

    assert supervised.stop() == 0

    supervised.wait_for(r"sending SIGTERM to worker \(pid \d+; SIGKILL after 12s\)")
    supervised.wait_for(r"sending SIGTERM to api \(pid \d+; SIGKILL after 2s\)")


def test_a_malformed_setting_or_procfile_stops_it_at_start_with_a_message(tmp_path):
    good = write_procfile(tmp_path, api=TICKER)
    bad = tmp_path / "Broken"
    bad.write_text("api python -m daphne\n")

    for procfile, env, message in [
        (good, {"SUPERVISE_BACKOFF_SECONDS": "soon"}, "SUPERVISE_BACKOFF_SECONDS must be a number of seconds"),
        (bad, {}, "expected `name: command`"),
    ]:
        result = subprocess.run(
            [PYTHON, str(SUPERVISE), str(procfile)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        assert result.returncode == 2
        assert message in result.stderr


def test_ctrl_c_in_a_terminal_ends_make_with_status_0(tmp_path):
    """A terminal's Ctrl-C goes to its whole foreground process group, make included;
    make would die of it, so the supervisor takes the foreground for itself."""
    procfile = write_procfile(tmp_path, api=TICKER, worker=TICKER)
    # Like `make run`: a shell script in between that runs the supervisor in the
    # background and passes termination on (scripts/with-redis does this).
    (tmp_path / "Makefile").write_text(
        textwrap.dedent(
            f"""\
            run:
            \tbash -c '"$$@" & child=$$!; trap "kill -TERM $$child" TERM INT HUP; wait $$child; \\
            \t  status=$$?; if kill -0 $$child 2>/dev/null; then wait $$child; status=$$?; fi; exit $$status' \\
            \t  _ {PYTHON} {SUPERVISE} {procfile}
            """
        )
    )
    pid, terminal = pty.fork()
    if pid == 0:  # The child: a new session whose controlling terminal is the pty.
        os.chdir(tmp_path)
        os.environ.update(QUICK, NO_COLOR="1")
        os.execvp("make", ["make", "--no-print-directory", "run"])
    output = b""
    try:
        deadline = time.monotonic() + 20
        interrupted = False
        while time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.1)[0]:
                try:
                    chunk = os.read(terminal, 4096)
                except OSError:  # EIO: every process on the terminal is gone
                    break
                if not chunk:
                    break
                output += chunk
            if not interrupted and output.count(b"| tick") >= 4:
                os.write(terminal, b"\x03")
                interrupted = True
        for _ in range(50):
            ended, status = os.waitpid(pid, os.WNOHANG)
            if ended:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("make is still running:\n" + output.decode(errors="replace"))
    finally:
        os.close(terminal)
        leftovers = [pid, *(int(p) for p in re.findall(rb"started \(pid (\d+)\)", output))]
        for group in leftovers:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
    text = output.decode(errors="replace")
    assert interrupted, text
    assert "SIGINT received: stopping every process" in text
    assert "Interrupt" not in text  # make's "*** [Makefile:2: run] Interrupt"
    assert os.waitstatus_to_exitcode(status) == 0, text
    pids = [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", text)]
    assert len(pids) == 2 and not [pid for pid in pids if alive(pid)]
