"""Starting and stopping real Celery worker and Flower processes for the broker tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = "tests.broker.celeryapp"


@dataclass
class Spawned:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    children: list[int] = field(default_factory=list)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} never printed {text!r}:\n{self.output()[-3000:]}"
                )
            time.sleep(0.2)

    def kill_hard(self) -> None:
        """SIGKILL the whole process group (worker and pool children), as an OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        """Ask for a warm shutdown without waiting (stop several processes in parallel)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # Only the main process, as a supervisor would: Celery shuts its own pool down.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def environment(bootstrap: str, prefix: str, out_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HZ_TEST_BROKER_URL=f"kafka://{bootstrap}",
        HZ_TEST_PREFIX=prefix,
        HZ_TEST_OUT=str(out_dir),
        PYTHONPATH=str(REPO),
        **extra,
    )
    return env


def spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Spawned:
    log = log_dir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Spawned(name, process, log)


def worker(
    name: str,
    env: dict[str, str],
    log_dir: Path,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    events: bool = False,
) -> Spawned:
    argv = [
        sys.executable, "-m", "celery", "-A", APP, "worker",
        "-P", pool, "-c", str(concurrency), "-n", f"{name}@%h", "-l", "INFO",
        "-Q", "work",
    ]  # fmt: skip
    if events:
        argv.append("-E")
    return spawn(name, argv, {**env, "HZ_TEST_WORKER": name}, log_dir)


def count_done(out_dir: Path) -> int:
    return sum(1 for _ in out_dir.iterdir())


def wait_count(out_dir: Path, expected: int, timeout: float, *watch: Spawned) -> None:
    deadline = time.monotonic() + timeout
    while count_done(out_dir) < expected:
        for spawned in watch:
            if spawned.process.poll() is not None:
                raise AssertionError(f"{spawned.name} died:\n{spawned.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"only {count_done(out_dir)} of {expected} tasks ran in {timeout}s"
            )
        time.sleep(0.2)
