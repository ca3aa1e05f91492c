"""A real EBOK web server for the fault tests: gunicorn with one worker process, on a free local port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.ops.scratch import REPO


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state, past the command name


class Server:
    """`gunicorn ebok.wsgi:application -w 1` started with `env`; its output goes to `log`."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        with open(log, "ab") as output:
            self.master = subprocess.Popen(  # noqa: S603 - our own interpreter's gunicorn
                [
                    *command,
                    "ebok.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--timeout",
                    "300",  # the master must not kill the paused worker itself
                    "--graceful-timeout",
                    "5",
                ],
                cwd=REPO,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() can't miss a worker
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.master.poll() is not None:
                raise AssertionError(f"gunicorn exited ({self.master.returncode}):\n{self.log.read_text()}")
            try:
                requests.get(f"{self.url}/help/", timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not answer within 60 s:\n{self.log.read_text()}")

    def is_worker(self, pid: int) -> bool:
        return _parent_pid(pid) == self.master.pid

    def stop(self) -> None:
        """SIGTERM to the master (it stops its workers), SIGKILL to the whole group if that takes too long."""
        if self.master.poll() is None:
            self.master.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.master.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.master.pid, signal.SIGKILL)  # a worker left behind (the group is ours alone)
        self.master.wait(timeout=15)
