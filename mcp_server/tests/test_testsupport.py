"""The process helpers these tests (and the platform's integration tests) rely on."""

from pathlib import Path

import pytest

from testsupport import ManagedProcess, ProcessStartError, wait_until


def is_alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (a container's init may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def logged_value(process: ManagedProcess, prefix: str) -> str | None:
    for line in process.log_text().splitlines():
        if line.startswith(prefix):
            return line.removeprefix(prefix)
    return None


def test_it_stops_the_whole_process_group_including_children_that_ignore_sigterm():
    script = "trap '' TERM; sleep 60 & echo child=$!; wait"
    process = ManagedProcess(["sh", "-c", script], ready_check=None, name="family")
    process.start()
    child = int(wait_until(lambda: logged_value(process, "child=")))

    process.stop(timeout=0.2)

    assert not process.is_running()
    wait_until(lambda: not is_alive(child), timeout=2, description="the child is gone")


def test_it_reports_a_process_that_dies_during_startup_with_its_output():
    process = ManagedProcess(["sh", "-c", "echo 'cannot start: no config' >&2; exit 3"], ready_check=lambda: False)

    with pytest.raises(ProcessStartError) as failure:
        process.start()

    assert "exited with status 3 during startup" in str(failure.value)
    assert "cannot start: no config" in str(failure.value)


def test_it_gives_up_on_a_process_that_never_becomes_ready():
    process = ManagedProcess(["sleep", "60"], ready_check=lambda: False, startup_timeout=0.3)

    with pytest.raises(ProcessStartError, match="was not ready within 0.3 s"):
        process.start()
    assert not process.is_running()


def test_it_lays_env_over_the_current_environment_and_unsets_none(monkeypatch):
    monkeypatch.setenv("TESTSUPPORT_INHERITED", "kept")
    monkeypatch.setenv("TESTSUPPORT_SECRET", "leaked")
    process = ManagedProcess(
        ["sh", "-c", 'echo "$TESTSUPPORT_INHERITED/${TESTSUPPORT_SECRET:-unset}/$TESTSUPPORT_ADDED"; sleep 60'],
        env={"TESTSUPPORT_SECRET": None, "TESTSUPPORT_ADDED": "added"},
    )

    with process:
        wait_until(lambda: process.log_text().strip(), timeout=2)
        assert process.log_text().strip() == "kept/unset/added"
    assert process.returncode is not None


def test_wait_until_returns_the_first_truthy_value():
    attempts = iter([0, None, "", "ready"])

    assert wait_until(lambda: next(attempts), timeout=1, interval=0) == "ready"


def test_wait_until_names_what_it_waited_for_when_it_times_out():
    with pytest.raises(TimeoutError, match="the moon turned blue did not become true within 0.05 s"):
        wait_until(lambda: False, timeout=0.05, description="the moon turned blue")

