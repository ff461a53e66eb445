#!/usr/bin/env python3
"""A real full disk under load (issue 23): Haven on a small tmpfs, filled
while eight clients register cases.

Checks that every case answered 201 exists after a restart; that writes
answer 503 "disk_full" (never 500) while the disk is full; that reading goes
on (the reserve holds the reads' audit entries) and /readyz says "disk full";
and that once space is freed, writes resume by themselves, without a restart.

Needs a private mount namespace to mount the tmpfs: run as root, or under
`unshare -rm` (scripts/test does). HAVEN_BIN names the binary.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HAVEN = os.environ["HAVEN_BIN"]


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(method, url, token=None, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"null")
        except ValueError:
            return e.code, raw.decode(errors="replace")


def run(args, stdin=None):
    p = subprocess.run([HAVEN, *args], input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"haven {' '.join(args)}: {p.stderr}")
    return p.stdout.strip()


def main():
    mnt = tempfile.mkdtemp(prefix="haven-disk-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mnt], check=True)
    data = os.path.join(mnt, "data")
    env = dict(os.environ, HAVEN_DATA_DIR=data, HAVEN_LOG_LEVEL="warn")
    os.environ.update(HAVEN_DATA_DIR=data)
    org = run(["add-org", "Disk Test NGO", "--kind", "ngo"])
    run(["add-user", "load@disk.test", "--name", "Load", "--org", org, "--roles", "victim_specialist"],
        stdin="a long enough password\n")
    token = run(["token", "create", "--user", "load@disk.test", "--scopes", "cases:read,cases:write"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tempfile.gettempdir(), "haven-disk-full.log"), "w")

    def start():
        srv = subprocess.Popen([HAVEN, "serve", "--listen", f"127.0.0.1:{port}"], env=env,
                               stdout=log, stderr=log)
        for _ in range(100):
            try:
                if call("GET", base + "/healthz")[0] == 200:
                    return srv
            except OSError:
                pass
            time.sleep(0.1)
        fail("the server did not start")

    srv = start()
    # Fill the disk but for a little room: the load takes the rest.
    filler = os.path.join(mnt, "filler")
    st = os.statvfs(mnt)
    room = st.f_bavail * st.f_frsize - 3 * 1024 * 1024
    with open(filler, "wb") as f:
        f.write(b"\0" * max(room, 0))
        f.flush()
        os.fsync(f.fileno())

    acked, statuses, lock, unexpected = [], {}, threading.Lock(), []
    stop = threading.Event()

    def writer(w):
        i = 0
        fails = 0
        while not stop.is_set() and fails < 40:
            i += 1
            s, b = call("POST", base + "/api/v1/cases", token,
                        {"name": f"Load Person {w} {i} " + "x" * 150, "birth_date": "1990-01-01",
                         "disability": "y" * 900, "accommodations": "z" * 900,
                         "confirm_duplicate": True})
            with lock:
                statuses[s] = statuses.get(s, 0) + 1
                if s == 201:
                    acked.append(b["id"])
                elif s == 503:
                    fails += 1
                    if b.get("code") != "disk_full":
                        statuses[f"503 {b.get('code')}"] = statuses.get(f"503 {b.get('code')}", 0) + 1
                else:
                    unexpected.append((s, b))
                    return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    print(f"statuses under load: {statuses}; acknowledged: {len(acked)}")
    if unexpected:
        fail(f"writes answered neither 201 nor 503: {unexpected[:3]}")
    if not acked:
        fail("nothing fit on the disk")
    if statuses.get(503, 0) == 0:
        fail("the disk never filled")
    if any(str(k).startswith("503 ") for k in statuses):
        fail(f"a full disk must say disk_full: {statuses}")

    # Full: reads go on, readiness says why.
    s, b = call("GET", f"{base}/api/v1/cases/{acked[0]}", token)
    if s != 200:
        fail(f"reading a case while the disk is full answered {s}: {b}")
    s, b = call("GET", base + "/readyz")
    if s != 503 or "disk" not in json.dumps(b):
        fail(f"readyz while full: {s} {b}")

    # Space comes back: writes resume by themselves.
    os.remove(filler)
    resumed = False
    for _ in range(60):
        s, b = call("POST", base + "/api/v1/cases", token,
                    {"name": "After the disk was freed", "birth_date": "1991-01-01", "confirm_duplicate": True})
        if s == 201:
            acked.append(b["id"])
            resumed = True
            break
        time.sleep(0.5)
    if not resumed:
        fail("writes did not resume after space was freed")
    for _ in range(20):
        if call("GET", base + "/readyz")[0] == 200:
            break
        time.sleep(0.5)
    else:
        fail("not ready again after space was freed")

    srv.send_signal(signal.SIGTERM)
    srv.wait(30)
    srv = start()
    lost = [c for c in acked if call("GET", f"{base}/api/v1/cases/{c}", token)[0] != 200]
    srv.send_signal(signal.SIGTERM)
    srv.wait(30)
    if lost:
        fail(f"{len(lost)} of {len(acked)} acknowledged cases were lost: {lost[:5]}")
    verify = subprocess.run([HAVEN, "audit", "verify"], env=env, capture_output=True, text=True)
    if verify.returncode != 0:
        fail(f"audit verify: {verify.stdout} {verify.stderr}")
    subprocess.run(["umount", mnt], check=False)
    print(f"ok: {len(acked)} acknowledged cases all present after a restart; reads went on; writes resumed")


if __name__ == "__main__":
    main()
