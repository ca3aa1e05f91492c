"""A small HTTP/1.1 load generator in pure Python (asyncio streams, keep-alive connections) for the benchmarks.

Two ways to load a server, both returning a `Result` (requests per second, status counts, latency
percentiles, and this process's own CPU use, so you can tell the generator did not starve the server):

    from bench import http_load   # or `import http_load` with bench/ on sys.path

    # Closed loop: `connections` clients, each sending its next request as soon as the previous answer is in.
    result = http_load.throughput(
        "http://127.0.0.1:8000/panel/", headers={"Cookie": "..."}, connections=8, seconds=10, warmup=1
    )
    print(result.rps, result.p95, result.statuses)

    # Open loop: a fixed arrival rate. Request i is due at start + i / rate whatever happened before it; its
    # latency runs from that due time (not from when a free connection sent it), so a stalled server shows
    # up in the percentiles instead of silently slowing the clients down ("coordinated omission").
    result = http_load.fixed_rate("http://127.0.0.1:8000/panel/", headers=..., rate=100, seconds=20)
    print(result.p50, result.p95, result.p99, result.errors)

Requests that differ (each customer posting their own form) are given as an iterable of `Request` (method,
path, headers, body) through `requests=`: the URL then only names the server, and the run ends early when
the iterable runs out. `headers=` are added to every request. For preparing a run (a login form's CSRF
token, say): `fetch()` sends one request, `fetch_many()` a list of them over a few connections, and
`Response.cookies` reads the Set-Cookie headers of an answer.

What it is not: no TLS, no HTTP/2, no redirects followed, no cookie jar during a run (send the cookies you
need as a header). A connection the server closes (`Connection: close`, or an idle keep-alive timeout) is
reopened for the next request; a request that fails on a reused connection before any answer byte arrived
is retried once on a new one, as browsers do. Transport failures and time-outs count as `errors`; HTTP
error statuses are only counted in `statuses` (see `Result.ok`). `timeout=` bounds each request (at a fixed
rate, from its due time), so a run ends at most that long after its last request is due; requests that
time out are not in the percentiles, so report `errors` beside them.

Cost, measured against a trivial server on the 2-core benchmark machine (15 kB answers): 0.08 ms of CPU
per request in a closed loop, 0.23 ms at a fixed rate (a task and a timer each), i.e. 4–9% of one core at
400 requests/s; more when the server closes every connection (gunicorn's sync workers).
`Result.client_cpu_percent` reports it for each run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

__all__ = ["Request", "Response", "Result", "fetch", "fetch_many", "fixed_rate", "throughput"]

USER_AGENT = "ebok-bench/1"


@dataclass(frozen=True, slots=True)
class Request:
    """One request; `path` includes the query string. Headers here win over the run's common headers."""

    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    label: str = ""  # free text for the caller (e.g. which customer); not sent


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]  # as received, names in lower case
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), default)

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this response sets (name → value)."""
        jar: SimpleCookie = SimpleCookie()
        for key, value in self.headers:
            if key == "set-cookie":
                jar.load(value)
        return {name: morsel.value for name, morsel in jar.items()}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(slots=True)
class Result:
    """What one run measured. Latencies are in milliseconds, percentiles by the nearest-rank method."""

    mode: str  # "closed" (throughput) or "fixed" (fixed arrival rate)
    seconds: float  # the measured time (closed: after warm-up; fixed: first due time to last answer)
    latencies_ms: list[float]  # of every request that got an answer, in the order they completed
    statuses: Counter  # HTTP status → count
    errors: int  # transport failures and time-outs (no HTTP answer)
    client_cpu_s: float  # CPU time this process used during the measured time
    connections: int  # closed: clients; fixed: connections opened (at most max_connections)
    offered_rate: float | None = None  # fixed: the arrival rate asked for
    sent: int = 0  # requests started in the measured time
    max_lag_ms: float = 0.0  # fixed: the latest a request left after its due time (client-side queueing)
    sample: Response | None = field(default=None, repr=False)  # the first answer, for sanity checks
    error_samples: list[str] = field(default_factory=list, repr=False)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def ok(self) -> int:
        """Answers with a 1xx–3xx status."""
        return sum(n for status, n in self.statuses.items() if status < 400)

    @property
    def rps(self) -> float:
        """Answers per second (of any status) over the measured time."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ms, default=math.nan)

    @property
    def client_cpu_percent(self) -> float:
        """The load generator's CPU use, in % of one core."""
        return 100 * self.client_cpu_s / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        head = (
            f"{self.rps:.1f} req/s over {self.seconds:.1f} s"
            if self.mode == "closed"
            else f"{self.offered_rate:g} req/s offered, {self.rps:.1f} answered over {self.seconds:.1f} s"
        )
        return (
            f"{head} ({self.connections} connections): p50 {self.p50:.1f} ms, p95 {self.p95:.1f} ms, "
            f"p99 {self.p99:.1f} ms, max {self.max_ms:.1f} ms; statuses {{{statuses}}}, errors {self.errors}; "
            f"load generator CPU {self.client_cpu_percent:.1f}% of a core"
        )


class _Target:
    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise ValueError(f"only http:// URLs are supported, not {url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.host_header = parts.netloc
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _encode(request: Request, target: _Target, common: Mapping[str, str]) -> bytes:
    headers = {"Host": target.host_header, "User-Agent": USER_AGENT, **common, **request.headers}
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(request.body))
    head = f"{request.method} {request.path} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return (head + "\r\n").encode("latin-1") + request.body


class _Closed(Exception):
    """The server closed the connection before answering."""


class _Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, target: _Target):
        self.target = target
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = False  # answered at least one request since it was opened

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.target.host, self.target.port)
        self.used = False

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, data: bytes, method: str) -> Response:
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            reused = self.used
            try:
                self.writer.write(data)
                return await self._read(method)
            except (_Closed, ConnectionResetError, BrokenPipeError) as error:
                self.close()
                # A keep-alive connection the server dropped while idle: try once more on a fresh one.
                if not reused or attempt == 2:
                    raise error from None
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    async def _read(self, method: str) -> Response:
        reader = self.reader
        assert reader is not None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if not error.partial:
                raise _Closed from None
            raise
        lines = head[:-4].decode("latin-1").split("\r\n")
        version, status_text = lines[0].split(" ", 2)[:2]
        status = int(status_text)
        headers = []
        length = None
        chunked = False
        close = version == "HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers.append((name, value))
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection":
                close = value.lower() == "close" or (close and value.lower() != "keep-alive")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            close = True
        self.used = True
        if close:
            self.close()
        return Response(status, headers, body)


class _Pool:
    """Connections handed out most recently used first, so a light load keeps few of them open."""

    def __init__(self, target: _Target, limit: int):
        self.target = target
        self.limit = limit
        self.opened = 0
        self.idle: list[_Connection] = []
        self.waiting: deque[asyncio.Future] = deque()
        self.all: list[_Connection] = []

    async def acquire(self) -> _Connection:
        if self.idle:
            return self.idle.pop()
        if self.opened < self.limit:
            self.opened += 1
            connection = _Connection(self.target)
            self.all.append(connection)
            return connection
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        return await future

    def release(self, connection: _Connection) -> None:
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(connection)
                return
        self.idle.append(connection)

    def close(self) -> None:
        for connection in self.all:
            connection.close()


def _requests(
    target: _Target, requests: Iterable[Request] | None, method: str, body: bytes
) -> Iterator[Request]:
    if requests is not None:
        return iter(requests)
    single = Request(method=method, path=target.path, body=body)

    def repeat() -> Iterator[Request]:
        while True:
            yield single

    return repeat()


class _Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.errors = 0
        self.sent = 0
        self.sample: Response | None = None
        self.error_samples: list[str] = []

    def answer(self, response: Response, latency_s: float) -> None:
        self.latencies.append(latency_s * 1000)
        self.statuses[response.status] += 1
        if self.sample is None:
            self.sample = response

    def error(self, error: BaseException) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{type(error).__name__}: {error}")


_TRANSPORT_ERRORS = (
    OSError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    _Closed,
    TimeoutError,
    ValueError,
)


async def _throughput(
    url: str,
    *,
    headers: Mapping[str, str],
    connections: int,
    seconds: float,
    warmup: float,
    requests: Iterable[Request] | None,
    method: str,
    body: bytes,
    timeout: float,
) -> Result:
    target = _Target(url)
    source = _requests(target, requests, method, body)
    encoded: dict[int, bytes] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()
    measure_from = started + warmup
    stop_at = measure_from + seconds
    record = _Recorder()
    cpu: dict[str, float] = {}

    async def client() -> None:
        connection = _Connection(target)
        try:
            while True:
                now = loop.time()
                if now >= stop_at:
                    return
                if now >= measure_from and "start" not in cpu:
                    cpu["start"] = time.process_time()
                try:
                    request = next(source)
                except StopIteration:
                    return
                data = encoded.get(id(request)) if requests is None else None
                if data is None:
                    data = _encode(request, target, headers)
                    if requests is None:
                        encoded[id(request)] = data
                counted = now >= measure_from
                if counted:
                    record.sent += 1
                begin = time.perf_counter()
                try:
                    async with asyncio.timeout(timeout):
                        response = await connection.send(data, request.method)
                except _TRANSPORT_ERRORS as error:
                    connection.close()
                    if counted:
                        record.error(error)
                    continue
                if counted:
                    record.answer(response, time.perf_counter() - begin)
        finally:
            connection.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    # Answers to requests sent before the stop time are counted, so the measured time runs to the last one.
    cpu_used = time.process_time() - cpu.get("start", time.process_time())
    return Result(
        mode="closed",
        seconds=max(loop.time() - measure_from, 1e-9),
        latencies_ms=record.latencies,
        statuses=record.statuses,
        errors=record.errors,
        client_cpu_s=cpu_used,
        connections=connections,
        sent=record.sent,
        sample=record.sample,
        error_samples=record.error_samples,
    )


async def _fixed_rate(
    url: str,
    *,
    headers: Mapping[str, str],
    rate: float,
    seconds: float,
    max_connections: int,
    requests: Iterable[Request] | None,
    method: str,
    body: bytes,
    timeout: float,
) -> Result:
    target = _Target(url)
    source = _requests(target, requests, method, body)
    pool = _Pool(target, max_connections)
    record = _Recorder()
    loop = asyncio.get_running_loop()
    total = max(1, round(rate * seconds))
    in_flight: set[asyncio.Task] = set()
    lag = [0.0]
    single: dict[int, bytes] = {}

    async def one(request: Request, due: float) -> None:
        data = single.get(id(request)) if requests is None else None
        if data is None:
            data = _encode(request, target, headers)
            if requests is None:
                single[id(request)] = data
        connection = None
        try:
            async with asyncio.timeout(timeout):
                connection = await pool.acquire()
                lag[0] = max(lag[0], loop.time() - due)
                response = await connection.send(data, request.method)
        except _TRANSPORT_ERRORS as error:
            if connection is not None:
                connection.close()
            record.error(error)
        else:
            record.answer(response, loop.time() - due)
        finally:
            if connection is not None:
                pool.release(connection)

    cpu_start = time.process_time()
    start = loop.time() + 0.05
    for i in range(total):
        try:
            request = next(source)
        except StopIteration:
            break
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        record.sent += 1
        task = asyncio.create_task(one(request, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    elapsed = loop.time() - start
    cpu_used = time.process_time() - cpu_start
    pool.close()
    return Result(
        mode="fixed",
        seconds=max(elapsed, 1e-9),
        latencies_ms=record.latencies,
        statuses=record.statuses,
        errors=record.errors,
        client_cpu_s=cpu_used,
        connections=pool.opened,
        offered_rate=rate,
        sent=record.sent,
        max_lag_ms=lag[0] * 1000,
        sample=record.sample,
        error_samples=record.error_samples,
    )


def throughput(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    connections: int = 8,
    seconds: float = 10.0,
    warmup: float = 1.0,
    requests: Iterable[Request] | None = None,
    method: str = "GET",
    body: bytes = b"",
    timeout: float = 30.0,
) -> Result:
    """Closed loop: `connections` clients send requests back to back for `warmup` + `seconds` seconds; only
    the last `seconds` are measured. With `requests`, each client takes the next one of them (URL: the
    server only); the run ends when they run out."""
    if connections < 1 or seconds <= 0 or warmup < 0:
        raise ValueError("connections ≥ 1, seconds > 0 and warmup ≥ 0 are required")
    return asyncio.run(
        _throughput(
            url,
            headers=dict(headers or {}),
            connections=connections,
            seconds=seconds,
            warmup=warmup,
            requests=requests,
            method=method,
            body=body,
            timeout=timeout,
        )
    )


def fixed_rate(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    rate: float = 100.0,
    seconds: float = 20.0,
    max_connections: int = 64,
    requests: Iterable[Request] | None = None,
    method: str = "GET",
    body: bytes = b"",
    timeout: float = 30.0,
) -> Result:
    """Open loop: round(rate × seconds) requests, request i due at start + i / rate, each sent on a free
    keep-alive connection (a new one while fewer than `max_connections` are open; else it waits, and the
    wait counts in its latency). Latency runs from the due time to the last byte of the answer."""
    if rate <= 0 or seconds <= 0 or max_connections < 1:
        raise ValueError("rate > 0, seconds > 0 and max_connections ≥ 1 are required")
    return asyncio.run(
        _fixed_rate(
            url,
            headers=dict(headers or {}),
            rate=rate,
            seconds=seconds,
            max_connections=max_connections,
            requests=requests,
            method=method,
            body=body,
            timeout=timeout,
        )
    )


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
) -> Response:
    """Send one request (on a new connection) and return the answer; redirects are not followed."""
    target = _Target(url)

    async def go() -> Response:
        connection = _Connection(target)
        try:
            async with asyncio.timeout(timeout):
                return await connection.send(
                    _encode(Request(method, target.path, body=body), target, dict(headers or {})), method
                )
        finally:
            connection.close()

    return asyncio.run(go())


def fetch_many(
    url: str,
    requests: Iterable[Request],
    *,
    headers: Mapping[str, str] | None = None,
    connections: int = 4,
    timeout: float = 30.0,
) -> list[tuple[Response, float]]:
    """Send `requests` over `connections` keep-alive connections; returns (answer, seconds) in their order.
    A transport failure raises."""
    target = _Target(url)
    todo = list(requests)
    common = dict(headers or {})

    async def go() -> list[tuple[Response, float]]:
        answers: list[tuple[Response, float] | None] = [None] * len(todo)
        queue = iter(range(len(todo)))

        async def client() -> None:
            connection = _Connection(target)
            try:
                for i in queue:
                    begin = time.perf_counter()
                    async with asyncio.timeout(timeout):
                        response = await connection.send(_encode(todo[i], target, common), todo[i].method)
                    answers[i] = (response, time.perf_counter() - begin)
            finally:
                connection.close()

        await asyncio.gather(*(client() for _ in range(max(1, connections))))
        return [a for a in answers if a is not None]

    return asyncio.run(go())
