#!/usr/bin/env python3
"""Fuzz the JSON API with schemathesis against its own OpenAPI document.

Starts `haven demo` on a free port, makes an API token through the pages (as the
demo administrator, with every scope), and runs schemathesis with a fixed seed:
no 5xx, only documented status codes and content types, responses that match
their schemas, and auth that is really required. Exits non-zero on any failure.
"""
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BIN = os.environ.get("HAVEN_BIN", "target/debug/haven")
ST = os.environ.get("SCHEMATHESIS", "schemathesis")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_token(base, login, scopes):
    """Signs in through the pages and makes an API token with `scopes`."""
    jar = http.cookiejar.CookieJar()
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    web.addheaders = [("Sec-Fetch-Site", "same-origin")]
    web.open(f"{base}/sign-in", urllib.parse.urlencode({"login": login, "password": "haven-demo"}).encode())
    home = web.open(f"{base}/").read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', home).group(1)
    form = [("csrf", csrf), ("name", "schemathesis"), ("days", "7")] + [("scopes", s) for s in scopes]
    page = web.open(f"{base}/account/tokens", urllib.parse.urlencode(form).encode()).read().decode()
    return re.search(r'data-testid="new-token">([^<]+)<', page).group(1)


def main():
    data = tempfile.mkdtemp(prefix="haven-fuzz-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([BIN, "demo", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                              env=dict(os.environ, HAVEN_LOG_LEVEL="warn"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"{base}/readyz", timeout=1).status == 200:
                    break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("haven demo did not become ready")
        checks = ",".join([
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_schema_conformance",
            "response_headers_conformance",
            "ignored_auth",
        ])
        # Twice: as a specialist who may read and change cases (the case record
        # and funds), and as the administrator (administration). Both tokens are
        # made first: the administrator's run may disable accounts.
        tokens = [(login, make_token(base, login, scopes)) for login, scopes in [
            ("specialist@demo.haven.test", ["cases:read", "cases:write"]),
            ("admin@demo.haven.test", ["admin:read", "admin:write", "cases:read"])]]
        for login, token in tokens:
            result = subprocess.run([ST, "run", f"{base}/api/openapi.json", "--checks", checks,
                                     "-H", f"Authorization: Bearer {token}",
                                     "--max-examples", "40", "--seed", "20261128"])
            if result.returncode != 0:
                print(f"schemathesis found problems as {login}", file=sys.stderr)
                return result.returncode
        result = subprocess.CompletedProcess([], 0)
        return result.returncode
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
