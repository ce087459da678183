"""The subprocess helpers: a child zdt, and a failure that ends with the command's output."""

from __future__ import annotations

import subprocess
import sys

import pytest

from zerodowntime.subprocesses import CommandFailed, finish, process_exists, run, zdt_command

PRINT_AND_FAIL = (
    "import sys; print('out'); "
    "[print(f'line {n}', file=sys.stderr) for n in range(20)]; sys.exit(3)"
)


def test_run_returns_the_output_of_a_command_that_succeeds() -> None:
    result = run([sys.executable, "-c", "print('hello')"])
    assert result.returncode == 0 and result.stdout == "hello\n"


def test_a_failure_names_the_command_and_ends_with_its_stderr_tail() -> None:
    with pytest.raises(CommandFailed) as caught:
        run([sys.executable, "-c", PRINT_AND_FAIL])
    failed = caught.value
    assert failed.returncode == 3
    assert failed.tail() == "\n".join(f"line {n}" for n in range(5, 20))
    assert failed.tail(1) == "line 19"
    assert str(failed).startswith(f"`{sys.executable} -c ") and str(failed).endswith("line 19")


def test_the_tail_falls_back_to_stdout_then_to_the_exit_code() -> None:
    with pytest.raises(CommandFailed) as caught:
        run([sys.executable, "-c", "print('only stdout'); raise SystemExit(2)"])
    assert caught.value.tail() == "only stdout"
    with pytest.raises(CommandFailed) as silent:
        run([sys.executable, "-c", "raise SystemExit(4)"])
    assert silent.value.tail() == "exit code 4"


def test_finish_waits_for_a_started_process() -> None:
    ok = subprocess.Popen([sys.executable, "-c", "print(1)"], stdout=subprocess.PIPE, text=True)
    assert finish(ok).stdout == "1\n"
    bad = subprocess.Popen(
        [sys.executable, "-c", PRINT_AND_FAIL],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    with pytest.raises(CommandFailed, match="line 19$"):
        finish(bad)


def test_zdt_command_runs_the_toolkit_cli_with_this_interpreter() -> None:
    result = run(zdt_command("--help"))
    assert zdt_command("x")[0] == sys.executable
    assert "Usage:" in result.stdout and "rehearse" in result.stdout


def test_process_exists_while_it_runs_and_not_once_it_is_reaped() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_exists(process.pid)
    finally:
        process.kill()
        process.wait()
    assert not process_exists(process.pid)


def test_a_process_of_another_user_exists_though_it_may_not_be_signalled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("os.kill", refused)
    assert process_exists(12345)
