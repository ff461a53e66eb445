#!/usr/bin/env python3
"""Case-record benchmarks (issue 4): generate a national-scale fictional data
set with `haven generate`, serve it, and drive the caseload page and the case
page at 32 concurrent clients with wrk, on SQLite and on PostgreSQL.

Run through ./scripts/bench record, which builds the release binary and starts
a throwaway PostgreSQL. Sizes: BENCH_PERSONS (default 1,000,000) persons and
cases with BENCH_EVENTS (default 10) timeline events each. Prints a Markdown
table for BENCHMARKS.md. BENCH_BACKENDS=sqlite,postgres picks the databases.
BENCH_DATA=dir keeps the generated data there and reuses it next time.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

BIN = os.environ.get("HAVEN_BIN", "target/release/haven")
PG_SERVER = os.environ.get("HAVEN_TEST_POSTGRES_URL", "")
PERSONS = int(os.environ.get("BENCH_PERSONS", "1000000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "10"))
DURATION = os.environ.get("BENCH_DURATION", "20s")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",")
# Keep the generated data here and reuse it on the next run (generation is
# most of the time at 1,000,000 cases). PostgreSQL data lives on the server
# named by HAVEN_TEST_POSTGRES_URL, which must then outlive the run.
KEEP = os.environ.get("BENCH_DATA", "")
ENV = dict(os.environ, HAVEN_LOG_LEVEL="warn")


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
    name = f"haven_record_{int(time.time() * 1000)}"
    subprocess.run(["psql", PG_SERVER, "-qc", f"CREATE DATABASE {name}"], check=True)
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


def db_args(data_dir, db_url):
    return ["--data-dir", data_dir] + (["--database-url", db_url] if db_url else [])


def lua_script(pairs):
    """wrk script: each request takes a random (session, path) pair."""
    lines = ["local reqs = {"]
    for token, path in pairs:
        lines.append(f'  {{"{token}", "{path}"}},')
    lines.append("}")
    lines.append("request = function()")
    lines.append("  local r = reqs[math.random(#reqs)]")
    lines.append('  return wrk.format("GET", r[2], {["Cookie"] = "haven_session=" .. r[1]})')
    lines.append("end")
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write("\n".join(lines))
    f.close()
    return f.name


def wrk(port, script):
    out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{DURATION}", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}/"], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0


def check_pages(port, pairs):
    """Each session must get the real page: an expired session gets the
    sign-in page with a 200, which wrk would count as a fast success."""
    seen = set()
    for token, path in pairs:
        if token in seen:
            continue
        seen.add(token)
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Cookie": f"haven_session={token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read().decode()
        if 'action="/sign-out"' not in body or (path.startswith("/cases/") and path.split("/")[2] not in body):
            raise SystemExit(f"{path}: not the signed-in page; the benchmark would measure something else")


def refresh_sessions(data_dir, db_url):
    """Generated sessions expire like any other (30 minutes idle): a reused
    data set gets its sessions renewed."""
    if db_url:
        subprocess.run(["psql", db_url, "-qc", "UPDATE sessions SET created_at = now(), last_seen_at = now()"],
                       check=True)
    else:
        import sqlite3
        now = int(time.time() * 1000)
        with sqlite3.connect(os.path.join(data_dir, "haven.db")) as c:
            c.execute("UPDATE sessions SET created_at = ?, last_seen_at = ?", (now, now))


def dir_size_gib(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total / 1024 ** 3


def pg_size_gib(url):
    out = subprocess.run(["psql", url, "-tAc", "SELECT pg_database_size(current_database())"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip()) / 1024 ** 3


def main():
    rows = []
    for backend in BACKENDS:
        if KEEP:
            data_dir = os.path.join(KEEP, backend)
            os.makedirs(data_dir, exist_ok=True)
        else:
            data_dir = tempfile.mkdtemp(prefix="haven-record-")
        manifest = os.path.join(data_dir, "manifest.json")
        reuse = bool(KEEP) and os.path.exists(manifest)
        url_file = os.path.join(data_dir, "database_url")
        db_url = None
        if backend == "postgres":
            db_url = open(url_file).read().strip() if reuse else fresh_pg_db()
            if KEEP:
                open(url_file, "w").write(db_url)
        if reuse:
            gen_s = float("nan")
            refresh_sessions(data_dir, db_url)
        else:
            t0 = time.perf_counter()
            subprocess.run([BIN] + db_args(data_dir, db_url) + [
                "generate", "--persons", str(PERSONS), "--events-per-case", str(EVENTS),
                "--sessions", "64", "--manifest", manifest], check=True, env=ENV)
            gen_s = time.perf_counter() - t0
        size = pg_size_gib(db_url) if db_url else dir_size_gib(data_dir)
        m = json.load(open(manifest))
        specs = [u for u in m["users"] if u["role"] == "victim_specialist"]
        sups = [u for u in m["users"] if u["role"] == "supervisor"]
        port = free_port()
        # The server's warnings and errors (a non-2xx response is explained
        # there): beside kept data, else outside the directory removed below.
        server_log = open(os.path.join(data_dir if KEEP else tempfile.gettempdir(),
                                       f"haven-record-{backend}.log"), "w")
        p = subprocess.Popen([BIN] + db_args(data_dir, db_url) + ["serve", "--listen", f"127.0.0.1:{port}"],
                             env=ENV, stdout=subprocess.DEVNULL, stderr=server_log)
        try:
            while not ready(port):
                if p.poll() is not None:
                    raise SystemExit("haven exited during start-up")
                time.sleep(0.05)
            scenarios = [
                ("caseload, specialist (~100 cases)", [(u["session"], "/cases") for u in specs]),
                ("caseload, supervisor (whole organization)", [(u["session"], "/cases") for u in sups]),
                ("case page", [(u["session"], f"/cases/{c}") for u in specs for c in u["cases"]]),
            ]
            for name, pairs in scenarios:
                check_pages(port, pairs)
                script = lua_script(pairs)
                wrk(port, script)  # warm-up
                rps, lat, bad = wrk(port, script)
                os.unlink(script)
                rows.append((backend, name, rps, lat, bad))
                print(f"{backend}: {name}: {rps:.0f} req/s, p50 {lat.get('50')}, p99 {lat.get('99')}, non-2xx {bad}",
                      flush=True)
                if bad:
                    print(f"{backend}: non-2xx responses: see {server_log.name}", flush=True)
        finally:
            p.terminate()
            p.wait(timeout=60)
            server_log.close()
        print(f"{backend}: generated {m['persons']} persons, {m['events']} events in {gen_s:.0f} s; "
              f"database {size:.1f} GiB", flush=True)
        rows.append((backend, "data", m["persons"], {"gen_s": gen_s, "size": size, "events": m["events"]}, 0))
        if KEEP:
            continue
        if db_url:
            subprocess.run(["psql", PG_SERVER, "-qc", f"DROP DATABASE {db_url.rsplit('/', 1)[1]}"], check=False)
        shutil.rmtree(data_dir, ignore_errors=True)

    print()
    print(f"| Database | Page ({CLIENTS} clients, {DURATION}) | req/s | p50 | p99 | non-2xx |")
    print("|---|---|---|---|---|---|")
    for backend, name, rps, lat, bad in rows:
        if name == "data":
            continue
        print(f"| {backend} | {name} | {rps:.0f} | {lat.get('50')} | {lat.get('99')} | {bad} |")
    for backend, name, persons, d, _ in rows:
        if name == "data":
            print(f"\n{backend}: {persons:,} persons and cases, {d['events']:,} timeline events; "
                  f"generated in {d['gen_s']:.0f} s; {d['size']:.1f} GiB on disk")


if __name__ == "__main__":
    if len(os.sys.argv) > 1:
        raise SystemExit(__doc__ + "\nSettings are environment variables; this script takes no arguments.")
    main()
