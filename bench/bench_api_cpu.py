"""Measure the app server worker's CPU per request: `product(id)`, `productCreate`, the floor.

Run from the repository root::

    .venv/bin/python bench/bench_api_cpu.py --requests 3000 --rounds 3

It starts throw-away embedded servers, migrates to the newest release, adds 10,000 products,
and serves them with `zdt serve --workers 1 --threads 1` (gunicorn, one worker process with one
thread; `--worker-class asgi` for the asyncio front). A client sends sequential requests on one
keep-alive connection, each body encoded once beforehand, so that the client's own work does
not stretch the wall time. The figure is the CPU time (user + system, from /proc/<pid>/stat) of
the gunicorn worker, the process that handles the requests, read before and after each batch.
Reported apart, per request: the other processes of `zdt serve` (the `zdt` wrapper and the
gunicorn master, which do not touch requests), the client, the wall time, and what the worker
spends while idle (its heartbeat thread and gunicorn's loop, measured over a quiet window, per
second) in the wall time of one request. The floor is `GET /health/` (liveness: a plain Django
view that touches no database). Each round measures the three in turn; the median round is
reported, with each figure's ratio to the floor. PostgreSQL's own CPU is not counted.

With ``--baseline REF`` a second server runs the code of git REF (from a temporary worktree) on
the same database, and the two take turns, 100 requests at a time, through every figure: on a
shared machine, whose load changes the CPU time of every request from one minute to the next,
the ratio of the two is the comparison to trust.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import embedded_services, machine

from zerodowntime.subprocesses import ZDT

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
READ = "query($id: ID!) { product(id: $id) { id name slug description createdAt } }"
CREATE = "mutation($n: String!) { productCreate(name: $n) { product { id slug } } }"
IDLE_SECONDS = 5.0
NAMES = 500  # productCreate cycles through this many names (slug numbering per name)
SLICE = 100  # requests in a row to one server when two take turns
FIGURES = ("health", "product(id)", "productCreate")


def zdt(env: dict[str, str], *args: str) -> str:
    """Run ``zdt ARGS`` and return its output."""
    result = subprocess.run(
        [*ZDT, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def children(pid: int) -> list[int]:
    """Return the child processes of ``pid``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def cpu_seconds(pids: list[int]) -> float:
    """Return the user + system CPU seconds of the processes ``pids``."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


@dataclass(frozen=True)
class Server:
    """The processes of one `zdt serve --workers 1`: the worker, and the wrapper and master."""

    worker: list[int]
    others: list[int]

    @classmethod
    def of(cls, zdt_pid: int) -> Server:
        """Split ``zdt_pid`` and its descendants: the worker is the one without children."""
        found, todo = [], [zdt_pid]
        while todo:
            current = todo.pop()
            found.append((current, children(current)))
            todo.extend(found[-1][1])
        return cls(
            worker=[pid for pid, below in found if not below],
            others=[pid for pid, below in found if below],
        )

    def sample(self) -> tuple[float, float, float, float]:
        """Return (worker CPU, others' CPU, client CPU, wall clock), in seconds."""
        return (
            cpu_seconds(self.worker),
            cpu_seconds(self.others),
            time.process_time(),
            time.monotonic(),
        )


def measure(server: Server, requests: int, send: Callable[[int], object]) -> dict[str, float]:
    """Return the milliseconds per request over ``requests`` calls of ``send``, per process."""
    before = server.sample()
    for i in range(requests):
        send(i)
    after = server.sample()
    per_request = [(a - b) * 1000 / requests for a, b in zip(after, before, strict=True)]
    worker, others, client, wall = per_request
    return {"worker": worker, "others": others, "client": client, "wall": wall}


def idle_rate(server: Server, seconds: float) -> dict[str, float]:
    """Return the CPU milliseconds per second the server spends while no request comes."""
    before = server.sample()
    time.sleep(seconds)
    after = server.sample()
    wall = after[3] - before[3]
    return {
        "worker": (after[0] - before[0]) * 1000 / wall,
        "others": (after[1] - before[1]) * 1000 / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per figure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "asgi"))
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also serve the code of git REF (a temporary worktree) and measure it in the same"
        " rounds, interleaved: on a shared machine, the comparison that load does not skew",
    )
    args = parser.parse_args()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="catalog.settings", CATALOG_LOG_LEVEL="WARNING")
    with embedded_services() as urls, worktree(args.baseline) as tree, ExitStack() as stack:
        env.update(urls)
        zdt(env, "migrate")
        zdt(env, "populate", "--amount", str(args.rows))
        token = zdt(env, "token", "--name", "bench")
        port = 8700 + os.getpid() % 200
        servers = {"current": stack.enter_context(serving(env, ROOT, port, args.worker_class))}
        if tree is not None:
            paths = os.pathsep.join(str(tree / folder) for folder in ("src", "example"))
            servers[args.baseline] = stack.enter_context(
                serving(dict(env, PYTHONPATH=paths), tree, port + 1, args.worker_class)
            )
        print(json.dumps(run(servers, token, args), indent=2))


@contextmanager
def worktree(ref: str | None) -> Iterator[Path | None]:
    """Yield a temporary git worktree of ``ref`` (nothing without one), removed afterwards."""
    if ref is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="zdt-baseline-")) / "tree"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--detach", str(folder), ref], check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run([*git, "remove", "--force", str(folder)], check=True, capture_output=True)
        shutil.rmtree(folder.parent, ignore_errors=True)


@contextmanager
def serving(env: dict[str, str], cwd: Path, port: int, worker_class: str) -> Iterator[Target]:
    """Run `zdt serve` with one worker and one thread; yield it once it answers."""
    server = subprocess.Popen(
        [*ZDT, "serve", "--port", str(port), "--workers", "1", "--threads", "1"]
        + ["--worker-class", worker_class],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = Client(port)
        client.wait_until_up()
        yield Target(client, Server.of(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)


class Client:
    """One keep-alive HTTP connection that sends prepared requests and checks the answers."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get(self, path: str) -> bytes:
        """Send ``GET path``; return the body of its 200 answer."""
        return self._exchange("GET", path, None, {})

    def post(self, body: bytes, headers: dict[str, str]) -> bytes:
        """Send a prepared GraphQL body; return the answer, failing on any error."""
        answer = self._exchange("POST", "/graphql/", body, headers)
        if b'"errors"' in answer:
            raise RuntimeError(answer[:300].decode())
        return answer

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> bytes:
        """Send one request and return its 200 answer's body.

        A connection gunicorn closed after its keep-alive time (2 s idle) is opened again.
        """
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.connection.close()
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {answer[:200]!r}")
        return answer

    def wait_until_up(self) -> None:
        """Wait until the server answers ``/health/``."""
        for _ in range(300):
            try:
                self.get("/health/")
                return
            except (OSError, http.client.HTTPException):
                self.connection.close()
                time.sleep(0.1)
        raise RuntimeError("the server did not answer /health/")


def graphql_body(query: str, variables: dict[str, str]) -> bytes:
    """Return the JSON body of one GraphQL request."""
    return json.dumps({"query": query, "variables": variables}).encode()


@dataclass(frozen=True)
class Target:
    """A server under measurement and the client that talks to it."""

    client: Client
    server: Server


def figures(client: Client, token: str, read_id: str) -> dict[str, Callable[[int], object]]:
    """Return the three requests measured, each a function of the request's number."""
    json_headers = {"Content-Type": "application/json"}
    auth = {**json_headers, "Authorization": f"Bearer {token}"}
    read = graphql_body(READ, {"id": read_id})
    creates = [graphql_body(CREATE, {"n": f"Lamp {i}"}) for i in range(NAMES)]
    return {
        "health": lambda i: client.get("/health/"),
        "product(id)": lambda i: client.post(read, json_headers),
        "productCreate": lambda i: client.post(creates[i % NAMES], auth),
    }


def run(servers: dict[str, Target], token: str, args: argparse.Namespace) -> dict[str, object]:
    """Measure every figure of every server ``args.rounds`` times; return the median rounds."""
    first = next(iter(servers.values())).client
    auth = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    created = first.post(graphql_body(CREATE, {"n": "Bench lamp"}), auth)
    read_id = json.loads(created)["data"]["productCreate"]["product"]["id"]
    sends = {label: figures(target.client, token, read_id) for label, target in servers.items()}
    idle = {}
    for label, target in servers.items():
        for send in sends[label].values():  # warm up: imports, caches, prepared connections
            for i in range(300):
                send(i)
        idle[label] = idle_rate(target.server, IDLE_SECONDS)
    rounds: dict[str, list[dict[str, dict[str, float]]]] = {label: [] for label in servers}
    for _ in range(args.rounds):
        measured: dict[str, dict[str, dict[str, float]]] = {label: {} for label in servers}
        for name in FIGURES:
            slices: dict[str, list[dict[str, float]]] = {label: [] for label in servers}
            for _ in range(args.requests // SLICE):  # the servers take turns, a slice each
                for label, target in servers.items():
                    send = sends[label][name]
                    send(0)  # opens the connection again if it was idle
                    slices[label].append(measure(target.server, SLICE, send))
            for label in servers:
                measured[label][name] = {
                    key: statistics.fmean(part[key] for part in slices[label])
                    for key in slices[label][0]
                }
        for label in servers:
            rounds[label].append(measured[label])
    result: dict[str, object] = {
        "machine": machine(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "worker_class": args.worker_class,
        "requests": args.requests,
    }
    for label in servers:
        result[label] = summary(rounds[label], idle[label])
    if len(servers) > 1:
        current, baseline = (result[label] for label in servers)
        assert isinstance(current, dict) and isinstance(baseline, dict)
        result["current / baseline"] = {
            name: round(current[name]["cpu_ms"] / baseline[name]["cpu_ms"], 3) for name in FIGURES
        }
    return result


def summary(rounds: list[dict[str, dict[str, float]]], idle: dict[str, float]) -> dict[str, object]:
    """Return each figure's median round, its ratio to the floor and its other processes."""
    result: dict[str, object] = {
        "idle_cpu_ms_per_s": {key: round(value, 3) for key, value in idle.items()}
    }
    floor = statistics.median(r["health"]["worker"] for r in rounds)
    for name in rounds[0]:
        median = {
            key: statistics.median(r[name][key] for r in rounds)
            for key in ("worker", "others", "client", "wall")
        }
        result[name] = {
            "cpu_ms": round(median["worker"], 3),
            "ratio_to_floor": round(median["worker"] / floor, 2),
            "rounds": [round(r[name]["worker"], 3) for r in rounds],
            "idle_share_ms": round(idle["worker"] * median["wall"] / 1000, 4),
            "others_cpu_ms": round(median["others"], 3),
            "client_cpu_ms": round(median["client"], 3),
            "wall_ms": round(median["wall"], 3),
        }
    return result


if __name__ == "__main__":
    main()
