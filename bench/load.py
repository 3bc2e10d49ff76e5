"""A small closed-loop load generator: N processes, one keep-alive connection each.

Processes rather than threads, so the client's own Python never serialises on one
GIL. Every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
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

    @classmethod
    def combined(cls, parts: list[Result]) -> Result:
        """Several runs of one endpoint as one measurement."""
        return cls(
            requests=sum(part.requests for part in parts),
            errors=sum(part.errors for part in parts),
            seconds=sum(part.seconds for part in parts),
            latencies_ms=[value for part in parts for value in part.latencies_ms],
        )

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def drive(
    port: int, make: RequestFactory, *, connections: int, warmup: float, duration: float
) -> Result:
    """Run `connections` clients for warmup + duration seconds; measure the last `duration`."""
    start = time.time() + 0.5  # every process starts together
    context = multiprocessing.get_context("fork")
    with context.Pool(connections) as pool:
        parts = pool.starmap(
            _client, [(port, make, w, start, warmup, duration) for w in range(connections)]
        )
    latencies = [value for part in parts for value in part[1]]
    return Result(
        requests=len(latencies),
        errors=sum(part[0] for part in parts),
        seconds=duration,
        latencies_ms=latencies,
    )


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
