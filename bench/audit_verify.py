#!/usr/bin/env python3
"""`haven audit verify` over 1,000,000 entries, on SQLite and PostgreSQL.

Run through ./scripts/bench audit. Fills the audit log with N unchained
entries straight in the database (SQL, not through Haven, to keep the set-up
short), chains them with `haven audit seal`, then times `haven audit verify`.
"""
import os
import sqlite3
import subprocess
import tempfile
import time
import uuid

BIN = os.environ.get("HAVEN_BIN", "target/release/haven")
PG_SERVER = os.environ["HAVEN_TEST_POSTGRES_URL"]
N = int(os.environ.get("AUDIT_ENTRIES", "1000000"))
ENV = dict(os.environ, HAVEN_LOG_LEVEL="warn")


def haven(*args):
    t0 = time.perf_counter()
    out = subprocess.run([BIN, *args], check=True, capture_output=True, text=True, env=ENV)
    return time.perf_counter() - t0, out.stdout


def main():
    for backend in ["sqlite", "postgres"]:
        data = tempfile.mkdtemp(prefix="haven-audit-bench-")
        args = ["--data-dir", data]
        if backend == "postgres":
            name = f"haven_audit_{int(time.time())}"
            subprocess.run(["psql", PG_SERVER, "-qc", f"CREATE DATABASE {name}"], check=True)
            args += ["--database-url", PG_SERVER.rsplit("/", 1)[0] + "/" + name]
        haven("keys", "init", *args)
        if backend == "sqlite":
            db = sqlite3.connect(os.path.join(data, "haven.db"))
            now = int(time.time() * 1000)
            actor = uuid.uuid4().bytes
            db.executemany(
                "INSERT INTO audit_log (at, actor_user, action, resource_kind, resource_id, request_id) VALUES (?, ?, ?, ?, ?, ?)",
                ((now + i, actor, "sign_in.failed", "user", str(uuid.uuid4()), None) for i in range(N)),
            )
            db.commit()
            db.close()
        else:
            subprocess.run(["psql", args[-1], "-qc",
                            f"INSERT INTO audit_log (at, actor_user, action, resource_kind, resource_id) "
                            f"SELECT now() + i * interval '1 millisecond', gen_random_uuid(), 'sign_in.failed', 'user', gen_random_uuid()::text "
                            f"FROM generate_series(1, {N}) i"], check=True)
        seal_s, out = haven("audit", "seal", *args)
        verify_s, out = haven("audit", "verify", *args)
        assert "intact" in out, out
        print(f"{backend}: {N:,} entries; seal {seal_s:.1f} s ({N / seal_s:,.0f}/s); verify {verify_s:.1f} s ({N / verify_s:,.0f}/s)")
        print("   ", out.strip().splitlines()[0])


if __name__ == "__main__":
    main()
