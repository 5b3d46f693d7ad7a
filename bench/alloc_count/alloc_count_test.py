#!/usr/bin/python3
"""The allocation-counting shim counts: a child process preloaded with it
reports a count on SIGUSR2 that grows by at least the allocations the child
made in between. Usage: alloc_count_test.py path/to/libcloudlet_alloc_count.so"""
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import ctypes, os, signal, sys
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
path = os.environ["CLOUDLET_ALLOC_COUNT_FILE"]
def count():
    os.kill(os.getpid(), signal.SIGUSR2)
    with open(path) as f:
        return int(f.read())
before = count()
for _ in range(1000):
    libc.free(libc.malloc(64))
after = count()
print(before, after)
"""


def main():
    shim = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "count")
        env = dict(os.environ, LD_PRELOAD=shim, CLOUDLET_ALLOC_COUNT_FILE=path)
        out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                             text=True, timeout=30)
        if out.returncode != 0:
            sys.exit(f"child failed: {out.stderr}")
        before, after = map(int, out.stdout.split())
        if before <= 0:
            sys.exit(f"no allocation counted at start-up: {before}")
        if after - before < 1000:
            sys.exit(f"counted {after - before} allocations for at least 1000 mallocs")
        # Without the file setting the shim only counts: the process is unchanged.
        del env["CLOUDLET_ALLOC_COUNT_FILE"]
        plain = subprocess.run([sys.executable, "-c", "print(sum(range(10)))"], env=env,
                               capture_output=True, text=True, timeout=30)
        if plain.stdout.strip() != "45" or plain.returncode != 0:
            sys.exit(f"preloaded child misbehaved: {plain.stdout!r} {plain.stderr!r}")
    print(f"ok: {after - before} allocations counted for 1000 mallocs")


if __name__ == "__main__":
    main()
