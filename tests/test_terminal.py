"""What a person sees: the command run on a real pseudo-terminal (live bars) and on a pipe
(plain lines). An error or Ctrl-C message must be the last thing written: a redraw of the bars
after it would paint over it and leave every bar at 100 % and no reason."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|[\r\x07]")


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="80", LINES="24")
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm-256color"
    return env


def _dbclone(*args: str) -> list[str]:
    return [sys.executable, "-m", "dbclone", *args]


def _source_and_model(tmp: Path) -> tuple[Path, Path]:
    """A two-table SQLite source and its model file."""
    src = tmp / "src.db"
    with sqlite3.connect(src) as c:
        c.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)")
        c.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id), "
                  "v INTEGER)")
        c.executemany("INSERT INTO a VALUES (?, ?)", [(i, f"n{i % 7}") for i in range(1, 3001)])
        c.executemany("INSERT INTO b VALUES (?, ?, ?)",
                      [(i, i % 3000 + 1, i % 50) for i in range(1, 6001)])
    model = tmp / "m.json"
    subprocess.run(_dbclone("fit", str(src), "-o", str(model), "-q"), check=True, env=_env(),
                   cwd=tmp, timeout=300)
    return src, model


def _failing_model(tmp: Path) -> Path:
    """The model with a CHECK on b that no generated row meets: the load fails at table b,
    after table a's bar was drawn."""
    _, model = _source_and_model(tmp)
    m = json.loads(model.read_text())
    b = next(t for t in m["schema"]["tables"] if t["name"] == "b")
    b["checks"] = [{"name": "never", "sqltext": "typeof(v) = 'blob'"}]
    bad = tmp / "bad.json"
    bad.write_text(json.dumps(m))
    return bad


def _on_pty(args: list[str], cwd: Path, ctrl_c_after: bytes | None = None) -> tuple[int, bytes]:
    """Run on an 80x24 pseudo-terminal that is its controlling terminal; all it wrote, and its
    exit code. With `ctrl_c_after`, Ctrl-C is typed once that text has appeared."""
    pid, master = pty.fork()
    if pid == 0:  # the child: the pty is its terminal
        os.chdir(cwd)
        os.execve(args[0], args, _env())
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = b""
    typed = False
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if ctrl_c_after and not typed and ctrl_c_after in out:
            os.write(master, b"\x03")
            typed = True
    os.close(master)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


def _after(out: bytes, message: bytes) -> bytes:
    """What was written after the last occurrence of `message`'s line, escapes removed."""
    at = out.rindex(message)
    return _ANSI.sub(b"", out[out.index(b"\n", at) if b"\n" in out[at:] else len(out):]).strip()


def test_error_is_the_last_thing_on_a_terminal(tmp_path: Path) -> None:
    bad = _failing_model(tmp_path)
    code, out = _on_pty(_dbclone("sample", str(bad), str(tmp_path / "t.db")), tmp_path)
    assert code == 1, out
    assert "━".encode() in out, "the live bars were not drawn"  # the terminal path was taken
    assert b"dbclone: error: loading table b failed" in out
    assert _after(out, b"dbclone: error:") == b"", out[-400:]
    assert not (tmp_path / "t.db").exists()


def test_interrupt_is_the_last_thing_on_a_terminal(tmp_path: Path) -> None:
    _, model = _source_and_model(tmp_path)
    code, out = _on_pty(_dbclone("sample", str(model), str(tmp_path / "t.db"), "--scale", "40"),
                        tmp_path, ctrl_c_after="━".encode())
    assert code == 130, out[-400:]
    assert b"dbclone: interrupted; the target was left as it was" in out
    assert _after(out, b"dbclone: interrupted") == b"", out[-400:]
    assert b"^C" not in out  # the key is not echoed into the bars (it shifted every redraw)
    assert not (tmp_path / "t.db").exists()


def test_plain_lines_off_a_terminal_with_real_rates(tmp_path: Path) -> None:
    src, _ = _source_and_model(tmp_path)
    res = subprocess.run(_dbclone("clone", str(src), str(tmp_path / "c.db")), env=_env(),
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert "\x1b" not in res.stderr and "━" not in res.stderr  # no bars, no escapes
    assert [ln.split(":")[0] for ln in lines] == ["fit  a", "fit  b", "load a", "load b"]
    # per table, the rows read and the rules found (b: its children-per-parent distribution)
    assert re.fullmatch(r"fit  b: 6,000 rows read, 1 rule \([0-9.]+ s\)", lines[1]), lines[1]
    assert re.fullmatch(r"load b: 6,000 rows \([0-9.]+ s, [0-9,]+ rows/s\)", lines[-1])
    rate = int(lines[-1].rsplit(", ", 1)[1].split()[0].replace(",", ""))
    assert rate < 10_000_000  # from the table's elapsed time, not from its last chunk alone
    assert res.stdout.startswith("cloned 2 tables, 9000 rows")


def test_error_off_a_terminal(tmp_path: Path) -> None:
    bad = _failing_model(tmp_path)
    res = subprocess.run(_dbclone("sample", str(bad), str(tmp_path / "t.db")), env=_env(),
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1
    assert res.stderr.splitlines()[-1].startswith("dbclone: error: loading table b failed")


@pytest.mark.parametrize("where", ["before", "after"])
def test_log_json_in_any_position(tmp_path: Path, where: str) -> None:
    bad = _failing_model(tmp_path)
    args = ["sample", str(bad), str(tmp_path / "t.db")]
    args = ["--log-json", *args] if where == "before" else [*args, "--log-json"]
    res = subprocess.run(_dbclone(*args), env=_env(), cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 1
    records = [json.loads(line) for line in res.stderr.splitlines()]
    assert records[0] == {**records[0], "event": "table", "table": "a", "rows": 3000}
    assert records[-1]["event"] == "error" and records[-1]["exit_code"] == 1
