"""Shared helpers for cloudlet's integration tests.

Each test starts what it needs: a throwaway embedded PostgreSQL created by
`cloudlet db start` in a temporary directory on a free loopback port, and the
cloudlet services it exercises. Nothing here talks to anything but loopback.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

CLOUDLET = os.environ.get("CLOUDLET_BIN", "cloudlet")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, check=True, env=None, timeout=120):
    """Runs `cloudlet ARGS`; returns CompletedProcess with text output."""
    proc = subprocess.run([CLOUDLET, *args], capture_output=True, text=True,
                          env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"cloudlet {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


class Database:
    """An embedded cluster in a temporary directory, migrated, on a free port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cloudlet-it-")
        self.port = free_port()
        self.flags = ["--data-dir", self.dir, "--pg-port", str(self.port)]
        run("db", "start", *self.flags)
        self.url = run("db", "url", *self.flags).stdout.strip()

    def psql(self, sql):
        out = subprocess.run(["psql", self.url, "-XAtqc", sql], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()

    def close(self):
        run("db", "stop", *self.flags, check=False)
        if not os.environ.get("CLOUDLET_KEEP_TEST_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def database():
    db = Database()
    try:
        yield db
    finally:
        db.close()


def wait_for_port(port, timeout=30.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited early with {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_for_line(proc, needle, timeout=60.0):
    """Reads proc.stdout until a line containing `needle`; returns all lines read."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        if needle in line:
            return lines
    # A process that exited says why on stderr (a port taken between
    # free_port() and its bind, say): show it, or the failure is a guess.
    why = ""
    if proc.poll() is not None and proc.stderr is not None:
        why = f"\nexit status {proc.returncode}, stderr:\n{proc.stderr.read()}"
    raise AssertionError(f"no line with {needle!r} within {timeout}s; got:\n{''.join(lines)}{why}")
