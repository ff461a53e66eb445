#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests and benchmarks.
#
#   source scripts/pg-throwaway.sh   # sets HAVEN_TEST_POSTGRES_URL and PG_THROWAWAY_DIR
#   pg_throwaway_stop                # stops it and deletes its files
#
# Installs Debian's postgresql package when the binaries are missing. PostgreSQL
# refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

pg_bin_dir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [[ -x "$d/initdb" ]]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
    return 1
}

if ! PG_BIN="$(pg_bin_dir)"; then
    echo "==> PostgreSQL binaries not found; installing the postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null \
        || { echo "FATAL: could not install PostgreSQL" >&2; exit 1; }
    PG_BIN="$(pg_bin_dir)" || { echo "FATAL: PostgreSQL installed but initdb not found" >&2; exit 1; }
fi

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home postgres
fi

# TMPDIR picks where the cluster lives (the benchmarks can put it on tmpfs).
PG_THROWAWAY_DIR="$(mktemp -d "${TMPDIR:-/tmp}/haven-pg.XXXXXX")"
chmod 755 "$PG_THROWAWAY_DIR"
[[ "$(id -u)" == 0 ]] && chown postgres "$PG_THROWAWAY_DIR"
PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"

as_pg "$PG_BIN/initdb" -D "$PG_THROWAWAY_DIR/data" -U haven --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_THROWAWAY_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on ${PG_THROWAWAY_OPTS:-}" start >/dev/null \
    || { cat "$PG_THROWAWAY_DIR/log" >&2; echo "FATAL: PostgreSQL did not start" >&2; exit 1; }

export PG_THROWAWAY_DIR PG_BIN
export HAVEN_TEST_POSTGRES_URL="postgres://haven@127.0.0.1:$PG_PORT/postgres"
echo "==> throwaway PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_THROWAWAY_DIR)" >&2

pg_throwaway_stop() {
    if [[ -n "${PG_THROWAWAY_DIR:-}" && -d "$PG_THROWAWAY_DIR" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_THROWAWAY_DIR"
    fi
}
