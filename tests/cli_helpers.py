"""Running the `chiso` console entry point in tests, and the one-line user-error contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chiso import cli


def chiso_command() -> list[str]:
    """The installed `chiso` script beside this Python, or the module when it is not installed."""
    script = Path(sys.executable).with_name("chiso")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chiso.cli"]


def run_subprocess(*args: str) -> subprocess.CompletedProcess:
    """Run `chiso ARGS` in a real process (exit codes as a shell sees them)."""
    return subprocess.run([*chiso_command(), *args], capture_output=True, text=True, timeout=60)


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the console entry point in-process; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["chiso", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_user_error(code: int, stderr: str, *fragments: str) -> None:
    """Exit code 2, exactly one line `chiso: error: …` containing the fragments, no traceback."""
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("chiso: error:"), stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
