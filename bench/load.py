"""A small closed-loop load generator: N processes, one keep-alive connection each.

Processes rather than threads, so the client's own Python never serialises on one
GIL. Every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# (method, path, headers, body) for the i-th request of worker w.
Request = tuple[str, str, dict[str, str], bytes | None]
RequestFactory = Callable[[random.Random, int, int], Request]


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    # CPU seconds the server spent while measured (see `drive`'s `cpu`), if known.
    server_cpu_seconds: float | None = None

    @classmethod
    def combined(cls, parts: list[Result]) -> Result:
        """Several runs of one endpoint as one measurement."""
        cpu = [part.server_cpu_seconds for part in parts]
        return cls(
            requests=sum(part.requests for part in parts),
            errors=sum(part.errors for part in parts),
            seconds=sum(part.seconds for part in parts),
            latencies_ms=[value for part in parts for value in part.latencies_ms],
            server_cpu_seconds=None if None in cpu else sum(cpu),
        )

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms(self) -> float | None:
        """The server's CPU time per measured request, in milliseconds."""
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def drive(
    port: int,
    make: RequestFactory,
    *,
    connections: int,
    warmup: float,
    duration: float,
    cpu: Callable[[], float | None] | None = None,
) -> Result:
    """Run `connections` clients for warmup + duration seconds; measure the last `duration`.

    `cpu`, if given, reads the server's CPU seconds so far: read as measuring starts and
    as it stops, it gives the server's CPU time for the measured requests.
    """
    start = time.time() + 0.5  # every process starts together
    readings: list[float | None] = []
    reader = threading.Thread(
        target=_read_cpu_at, args=(cpu, (start + warmup, start + warmup + duration), readings)
    )
    if cpu is not None:
        reader.start()
    context = multiprocessing.get_context("fork")
    with context.Pool(connections) as pool:
        parts = pool.starmap(
            _client, [(port, make, w, start, warmup, duration) for w in range(connections)]
        )
    if cpu is not None:
        reader.join()
    latencies = [value for part in parts for value in part[1]]
    spent = None
    if len(readings) == 2 and None not in readings:
        spent = readings[1] - readings[0]
    return Result(
        requests=len(latencies),
        errors=sum(part[0] for part in parts),
        seconds=duration,
        latencies_ms=latencies,
        server_cpu_seconds=spent,
    )


def _read_cpu_at(cpu, moments: tuple[float, float], readings: list) -> None:
    for moment in moments:
        time.sleep(max(0.0, moment - time.time()))
        readings.append(cpu())


def _client(port, make, worker, start, warmup, duration):
    rng = random.Random(worker)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    measure_from, stop = start + warmup, start + warmup + duration
    while time.time() < start:
        time.sleep(0.001)
    latencies, errors, i = [], 0, 0
    while True:
        now = time.time()
        if now >= stop:
            break
        method, path, headers, body = make(rng, worker, i)
        i += 1
        began = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status < 400
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        elapsed = (time.perf_counter() - began) * 1000
        if now >= measure_from:
            if ok:
                latencies.append(elapsed)
            else:
                errors += 1
    connection.close()
    return errors, latencies


def call(port: int, method: str, path: str, *, headers=None, body=None) -> tuple[int, dict, bytes]:
    """One request outside the measurement (setup); JSON bodies are encoded."""
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data
