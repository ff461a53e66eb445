#!/usr/bin/env python3
"""Foundation benchmarks (issue 2): start-up to ready, /healthz and /sign-in under
load at 64 connections on both databases, binary size and idle memory.

Run through ./scripts/bench foundation, which builds the release binary and starts
a throwaway PostgreSQL. Prints a Markdown table for BENCHMARKS.md.
"""
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("HAVEN_BIN", "target/release/haven")
PG_SERVER = os.environ["HAVEN_TEST_POSTGRES_URL"]
DURATION = os.environ.get("BENCH_DURATION", "10s")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def fresh_pg_db():
    name = f"haven_bench_{int(time.time() * 1000)}"
    subprocess.run(["psql", PG_SERVER, "-qc", f"CREATE DATABASE {name}"], check=True)
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


def spawn(data_dir, port, db_url):
    args = [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir]
    if db_url:
        args += ["--database-url", db_url]
    env = dict(os.environ, HAVEN_LOG_LEVEL="warn")
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(p):
    p.terminate()
    p.wait(timeout=30)


def startup_times(data_dir, db_url, runs=20):
    subprocess.run([BIN, "migrate", "--data-dir", data_dir] + (["--database-url", db_url] if db_url else []),
                   check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, HAVEN_LOG_LEVEL="warn"))
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        p = spawn(data_dir, port, db_url)
        while not ready(port):
            if p.poll() is not None:
                raise SystemExit("haven exited during start-up")
            time.sleep(0.002)
        times.append((time.perf_counter() - t0) * 1000)
        stop(p)
    return times


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk(port, path):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{DURATION}", "--latency", f"http://127.0.0.1:{port}{path}"],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0


def sign_in_ms(port, runs=20):
    """Sequential sign-in attempts: the Argon2id verification dominates."""
    times = []
    for _ in range(runs):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/sign-in", method="POST",
                                     data=b"login=nobody%40example.test&password=not+the+password",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        t0 = time.perf_counter()
        try:
            urllib.request.urlopen(req, timeout=5)
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    rows = []
    size_mib = os.path.getsize(BIN) / 1024 / 1024
    print(f"release binary: {size_mib:.1f} MiB ({BIN})")
    for backend in ["sqlite", "postgres"]:
        data_dir = tempfile.mkdtemp(prefix="haven-bench-")
        db_url = fresh_pg_db() if backend == "postgres" else None
        t = startup_times(data_dir, db_url)
        print(f"{backend}: start-up to first 200 /readyz over {len(t)} runs: median {statistics.median(t):.0f} ms, max {max(t):.0f} ms")
        port = free_port()
        p = spawn(data_dir, port, db_url)
        while not ready(port):
            time.sleep(0.01)
        time.sleep(1)
        idle = rss_kib(p.pid)
        signin = sign_in_ms(port)
        print(f"{backend}: POST /sign-in (Argon2id verify) median {statistics.median(signin):.0f} ms over {len(signin)} sequential requests")
        for path in ["/healthz", "/sign-in", "/readyz"]:
            wrk(port, path)  # warm-up at full concurrency
            rps, lat, bad = wrk(port, path)
            rows.append((backend, path, rps, lat.get("50"), lat.get("99"), bad))
            print(f"{backend} {path}: {rps:,.0f} req/s, p50 {lat.get('50')}, p99 {lat.get('99')}, non-2xx {bad}")
        after = rss_kib(p.pid)
        print(f"{backend}: RSS idle {idle / 1024:.1f} MiB, after load {after / 1024:.1f} MiB")
        stop(p)
        shutil.rmtree(data_dir, ignore_errors=True)
    print()
    print("| Backend | Path | Requests/s | p50 | p99 | non-2xx |")
    print("|---|---|---:|---:|---:|---:|")
    for backend, path, rps, p50, p99, bad in rows:
        print(f"| {backend} | `{path}` | {rps:,.0f} | {p50} | {p99} | {bad} |")


if __name__ == "__main__":
    main()
