"""A small, bounded HTTP load generator (no dependency): ``concurrency`` threads, each with one
keep-alive connection, send GET requests until ``requests`` were sent or ``seconds`` passed.

It runs on the same machine as the server, so it takes some of the CPU it measures; that is
said beside every figure it produces.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.common import summary

# Headers sent with every request (the smoke test says it is behind an HTTPS proxy).
HEADERS: dict[str, str] = {}


@dataclass
class LoadResult:
    url: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "url": self.url,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "ok": len(self.latencies),
            "errors": self.errors,
            "statuses": self.statuses,
            "seconds": self.seconds,
            "rps": self.rps,
            "latency_ms": summary(ms),
        }


def fetch(url: str, timeout: float = 120.0) -> tuple[int, bytes]:
    """One GET (a new connection): status and body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=HEADERS
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run(
    url: str,
    *,
    concurrency: int = 4,
    requests: int = 1000,
    seconds: float = 20.0,
    timeout: float = 120.0,
) -> LoadResult:
    """Load ``url``; stop sending after ``requests`` or ``seconds`` (requests under way finish,
    each within ``timeout``)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    result = LoadResult(url=url, concurrency=concurrency)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = 0

    def worker() -> None:
        nonlocal sent
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        while True:
            with lock:
                if sent >= requests or time.perf_counter() >= deadline:
                    break
                sent += 1
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
            took = time.perf_counter() - started
            with lock:
                result.requests += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 200:
                    result.latencies.append(took)
                else:
                    result.errors += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result
