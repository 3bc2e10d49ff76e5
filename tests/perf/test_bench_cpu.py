"""The bench's reading of a server's CPU time from /proc."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.cpu import tree_cpu_seconds

# Spins for half a second of its own CPU time, says so, then waits to be killed.
SPINNER = """
import time
start = time.process_time()
while time.process_time() - start < 0.5:
    pass
print("spun", flush=True)
time.sleep(60)
"""


def test_a_process_tree_counts_the_cpu_of_every_process_below_it():
    with subprocess.Popen(
        [sys.executable, "-c", SPINNER], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline() == "spun\n"
            spun = tree_cpu_seconds(child.pid)
            assert 0.45 <= spun < 5
            assert tree_cpu_seconds(os.getpid()) >= spun
        finally:
            child.kill()


def test_a_process_that_is_gone_has_no_reading():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()

    assert tree_cpu_seconds(child.pid) is None
