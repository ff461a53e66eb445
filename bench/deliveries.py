#!/usr/bin/env python3
"""Outbox delivery benchmark (issue 7): BENCH_MESSAGES (default 10,000) test
messages, half e-mail and half SMS, queued with `haven outbox test`, sent by
two `haven serve` instances sharing one PostgreSQL database to the local SMTP
sink and SMS stub (tests/sinks/sink.py).

Reports messages per second (from the first to the last arrival at the sink,
and from the instances' launch), and the proof that none was sent twice or
lost: what the sink received, how many distinct delivery ids, what each
instance sent, and the outbox's own count. Run through ./scripts/bench
deliveries (release build, throwaway PostgreSQL).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("HAVEN_BIN", "target/release/haven")
PG_SERVER = os.environ.get("HAVEN_TEST_POSTGRES_URL", "")
N = int(os.environ.get("BENCH_MESSAGES", "10000"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def main():
    if not PG_SERVER:
        raise SystemExit("HAVEN_TEST_POSTGRES_URL is not set (run through ./scripts/bench deliveries)")
    work = tempfile.mkdtemp(prefix="haven-deliveries-")
    name = f"haven_deliveries_{int(time.time() * 1000)}"
    subprocess.run(["psql", PG_SERVER, "-qc", f"CREATE DATABASE {name}"], check=True)
    db_url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    ready_file = os.path.join(work, "sink.ready")
    sink = subprocess.Popen([sys.executable, "tests/sinks/sink.py", "--ready-file", ready_file])
    servers = []
    try:
        while not os.path.exists(ready_file):
            time.sleep(0.05)
        smtp_port, http_port = open(ready_file).read().split()
        sink_url = f"http://127.0.0.1:{http_port}"
        env = dict(os.environ,
                   HAVEN_LOG_LEVEL="warn,haven_server::delivery=debug", HAVEN_LOG_FORMAT="json",
                   HAVEN_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", HAVEN_MAIL_FROM="Haven <notices@haven.test>",
                   HAVEN_SMS_URL=f"{sink_url}/sms", HAVEN_SMS_FROM="+15550000000")
        base = [BIN, "--data-dir", work, "--database-url", db_url]
        t = time.perf_counter()
        subprocess.run(base + ["outbox", "test", "--to", "bench@example.test", "--count", str(N // 2)],
                       check=True, env=env)
        subprocess.run(base + ["outbox", "test", "--channel", "sms", "--to", "+15550100000",
                               "--count", str(N - N // 2)], check=True, env=env)
        queue_s = time.perf_counter() - t
        logs = [open(os.path.join(work, f"instance-{i}.log"), "w+") for i in range(2)]
        launched = time.time()
        for i in range(2):
            port = free_port()
            servers.append(subprocess.Popen(base + ["serve", "--listen", f"127.0.0.1:{port}"], env=env,
                                            stdout=subprocess.DEVNULL, stderr=logs[i]))
        deadline = time.time() + 600
        while get(f"{sink_url}/count")["distinct"] < N:
            if time.time() > deadline:
                raise SystemExit(f"only {get(sink_url + '/count')} of {N} arrived in 10 minutes")
            if any(p.poll() is not None for p in servers):
                raise SystemExit("an instance exited")
            time.sleep(0.1)
        done = time.time()
        time.sleep(5)  # anything sent twice would arrive now
        messages = get(f"{sink_url}/messages")
        for p in servers:
            p.terminate()
            p.wait(timeout=60)
        sent_by = []
        for f in logs:
            f.seek(0)
            sent_by.append(sum(int(json.loads(line).get("sent", 0)) for line in f
                               if '"delivery batch"' in line))
        status = subprocess.run(base + ["outbox", "status"], check=True, env=env, capture_output=True,
                                text=True).stdout
        repeats = [m for m in messages if m.get("repeat")]
        messages = [m for m in messages if not m.get("repeat")]
        ids = {m["id"] for m in messages}
        first = min(m["at"] for m in messages)
        last = max(m["at"] for m in messages)
        by_channel = {c: sum(1 for m in messages if m["channel"] == c) for c in ("email", "sms")}
        print(f"queued {N} messages ({N // 2} e-mail, {N - N // 2} SMS) in {queue_s:.1f} s")
        print(f"delivered by the sink: {len(messages)} ({by_channel['email']} e-mail, {by_channel['sms']} SMS); "
              f"distinct delivery ids: {len(ids)}")
        print(f"SMS requests repeated after a lost answer (dropped by the provider by Idempotency-Key): "
              f"{len(repeats)}")
        print(f"sent per instance: {sent_by[0]} + {sent_by[1]} = {sum(sent_by)}")
        print(f"first to last arrival: {last - first:.2f} s = {len(messages) / (last - first):.0f} messages/s")
        print(f"launch to last arrival: {done - launched:.2f} s = {N / (done - launched):.0f} messages/s")
        print("outbox status after the run:")
        print(status.rstrip())
        sent = re.search(r"^sent\s+(\d+) messages\s+(\d+) attempts", status, re.M)
        ok = (len(messages) == N and len(ids) == N and sum(sent_by) == N and sent
              and int(sent.group(1)) == N)
        print("PROOF: every message once, none lost" if ok else "FAILED: duplicates or losses")
        return 0 if ok else 1
    finally:
        for p in servers:
            if p.poll() is None:
                p.kill()
        sink.terminate()
        subprocess.run(["psql", PG_SERVER, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
