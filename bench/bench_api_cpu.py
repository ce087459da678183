"""Measure the app server's CPU per request: `product(id)`, `productCreate` and the floor.

Run from the repository root::

    .venv/bin/python bench/bench_api_cpu.py --requests 3000 --rounds 3

It starts throw-away embedded servers, migrates to the newest release, adds 10,000 products,
and serves them with `zdt serve --workers 1 --threads 1` (gunicorn, one worker process with one
thread; `--worker-class asgi` for the asyncio front). A client sends sequential requests on one
keep-alive connection; the server's CPU time (user + system of `zdt serve`, the gunicorn master
and its worker, from /proc/<pid>/stat) is read before and after each batch. The floor is
`GET /health/` (liveness: a plain Django view that touches no database). Each round measures
the three in turn; the median round is reported, with each figure's ratio to the floor.
PostgreSQL's own CPU is not counted: only the app server's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from benchlib import embedded_services, machine

from zerodowntime.subprocesses import ZDT

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
READ = "query($id: ID!) { product(id: $id) { id name slug description createdAt } }"
CREATE = "mutation($n: String!) { productCreate(name: $n) { product { id slug } } }"


def zdt(env: dict[str, str], *args: str) -> str:
    """Run ``zdt ARGS`` and return its output."""
    result = subprocess.run(
        [*ZDT, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def descendants(pid: int) -> list[int]:
    """Return ``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo.extend(int(child) for child in (task / "children").read_text().split())
    return found


def cpu_seconds(pids: list[int]) -> float:
    """Return the user + system CPU seconds of the processes ``pids``."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def measure(pids: list[int], requests: int, send: Callable[[int], None]) -> float:
    """Return the server's CPU milliseconds per request over ``requests`` calls of ``send``."""
    before = cpu_seconds(pids)
    for i in range(requests):
        send(i)
    return (cpu_seconds(pids) - before) * 1000 / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per figure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "asgi"))
    args = parser.parse_args()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="catalog.settings", CATALOG_LOG_LEVEL="WARNING")
    with embedded_services() as urls:
        env.update(urls)
        zdt(env, "migrate")
        zdt(env, "populate", "--amount", str(args.rows))
        token = zdt(env, "token", "--name", "bench")
        port = str(8700 + os.getpid() % 200)
        server = subprocess.Popen(
            [*ZDT, "serve", "--port", port, "--workers", "1", "--threads", "1"]
            + ["--worker-class", args.worker_class],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            print(json.dumps(run(server.pid, port, token, args), indent=2))
        finally:
            server.terminate()
            server.wait(timeout=30)


def run(master: int, port: str, token: str, args: argparse.Namespace) -> dict[str, object]:
    """Measure every figure ``args.rounds`` times; return the median round and the machine."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for _ in range(300):
            try:
                if client.get("/health/").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        pids = descendants(master)  # zdt, the gunicorn master and its one worker
        auth = {"Authorization": f"Bearer {token}"}
        read_id = post(client, CREATE, {"n": "Bench lamp"}, auth)["productCreate"]["product"]["id"]
        figures = {
            "health": lambda i: check(client.get("/health/")),
            "product(id)": lambda i: post(client, READ, {"id": read_id}),
            "productCreate": lambda i: post(client, CREATE, {"n": f"Lamp {i % 500}"}, auth),
        }
        for send in figures.values():  # warm up: imports, caches, prepared connections
            for i in range(200):
                send(i)
        rounds = [
            {name: measure(pids, args.requests, send) for name, send in figures.items()}
            for _ in range(args.rounds)
        ]
    result: dict[str, object] = {
        "machine": machine(),
        "worker_class": args.worker_class,
        "requests": args.requests,
    }
    for name in figures:
        value = statistics.median(r[name] for r in rounds)
        result[name] = {
            "cpu_ms": round(value, 3),
            "rounds": [round(r[name], 3) for r in rounds],
        }
    floor = statistics.median(r["health"] for r in rounds)
    for name in ("product(id)", "productCreate"):
        entry = result[name]
        assert isinstance(entry, dict)
        entry["ratio_to_floor"] = round(entry["cpu_ms"] / floor, 2)
    return result


def check(response: httpx.Response) -> None:
    """Fail unless the answer is a 200."""
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.text[:200]}")


def post(
    client: httpx.Client,
    query: str,
    variables: dict[str, str],
    headers: dict[str, str] | None = None,
) -> dict:
    """Send one GraphQL request; return its data, failing on any error."""
    response = client.post(
        "/graphql/", json={"query": query, "variables": variables}, headers=headers or {}
    )
    check(response)
    body = response.json()
    if "errors" in body:
        raise RuntimeError(str(body["errors"])[:300])
    return body["data"]


if __name__ == "__main__":
    main()
