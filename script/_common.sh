# Shared by the scripts in script/. Source it; it defines functions and settles paths.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
RW_PG_PORT="${RW_PG_PORT:-54329}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m!!\033[0m %s\n' "$*" >&2; exit 1; }

# Debian packages the app needs to run: PostgreSQL + PostGIS (default major version of
# the distribution: 15 on Debian 12), GDAL/GEOS/PROJ for GeoDjango, CJK fonts, gettext; Pango and
# HarfBuzz for WeasyPrint (the river-chief signboard PDF, problems/signboard.py).
RUNTIME_PACKAGES=(postgresql postgresql-postgis gdal-bin fonts-noto-cjk gettext ca-certificates libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$pkg"
  done
}

ensure_packages() {
  local wanted=("$@")
  # Debian's own python3 needs python3-venv for `python3 -m venv`.
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then wanted+=(python3-venv); fi
  command -v python3 >/dev/null 2>&1 || wanted+=(python3 python3-venv)
  local missing
  missing="$(missing_packages "${wanted[@]}")"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "These Debian packages are missing: $missing"
    echo "Run this once, then run the script again:"
    echo
    echo "  sudo apt-get update && sudo apt-get install -y $missing"
    echo
    exit 1
  fi
  say "Installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
}

# Creates .venv and installs a requirements file; skipped when nothing changed since last time.
ensure_venv() {
  local requirements="$1"
  if [ ! -x "$PY" ]; then
    say "Creating the virtualenv in .venv"
    python3 -m venv "$VENV"
  fi
  # One stamp for all requirement files: the test set includes the runtime set.
  local stamp="$VENV/.installed"
  local digest
  digest="$(cat requirements*.txt | sha256sum | cut -d' ' -f1) $(basename "$requirements")"
  if ! grep -qxF -e "$digest" -e "${digest% *} requirements-test.txt" "$stamp" 2>/dev/null; then
    say "Installing Python packages from $requirements"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet --progress-bar on -r "$requirements"
    echo "$digest" >> "$stamp"
  fi
}

# Runs a command as the postgres system user when we are root (PostgreSQL refuses root),
# from / so that the postgres user is never left in a folder it cannot enter.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where the cluster lives: .pgdata in the checkout, unless the postgres user cannot enter the
# checkout (a clone under /root, say); then a root-owned folder under /var/lib named after it.
cluster_folder() {
  if [ -n "${RW_PGDATA:-}" ]; then echo "$RW_PGDATA"; return; fi
  if [ "$(id -u)" -eq 0 ] && ! (cd / && runuser -u postgres -- test -x "$ROOT"); then
    echo "/var/lib/riverwatch/pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  else
    echo "$ROOT/.pgdata"
  fi
}

# Starts (or reuses) a project-local PostGIS cluster unless DATABASE_URL points elsewhere,
# and exports DATABASE_URL for Django.
ensure_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "Using the database in DATABASE_URL"
    return 0
  fi
  local pgbin
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$pgbin" ] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)."
  local data password_file="$ROOT/.pgpassword"
  data="$(cluster_folder)"
  [ -L "$data" ] && die "$data is a symbolic link; refusing to put a database there."
  if [ ! -s "$data/PG_VERSION" ]; then
    say "Creating a PostgreSQL cluster in $data (port $RW_PG_PORT)"
    if [ "$(id -u)" -eq 0 ]; then
      install -d -m 755 "$(dirname "$data")"
      install -d -o postgres -g postgres -m 700 "$data"
    else
      install -d -m 700 "$data"
    fi
    # A random password for the riverwatch role, kept beside the checkout (git-ignored).
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$password_file")
    local pwfile
    pwfile="$(mktemp)"
    cp "$password_file" "$pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
    as_pg "$pgbin/initdb" -D "$data" -U riverwatch --pwfile="$pwfile" --auth=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    # TCP on 127.0.0.1 only, no Unix socket (its folder would need to be shared with us).
    as_pg sh -c "printf '%s\n' \"listen_addresses = '127.0.0.1'\" \"unix_socket_directories = ''\" >> '$data/postgresql.conf'"
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    if "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$RW_PG_PORT"; then
      die "Port $RW_PG_PORT is taken by another server. Set RW_PG_PORT to a free port."
    fi
    say "Starting PostgreSQL on 127.0.0.1:$RW_PG_PORT"
    as_pg "$pgbin/pg_ctl" -D "$data" -l "$data/server.log" -o "-p $RW_PG_PORT" -w start >/dev/null \
      || { as_pg tail -n 20 "$data/server.log" >&2; die "PostgreSQL did not start (log above)."; }
  fi
  local port
  port="$(as_pg sed -n 4p "$data/postmaster.pid")"
  [ "$port" = "$RW_PG_PORT" ] || die "The cluster in $data already runs on port $port; set RW_PG_PORT=$port."
  local password=""
  [ -s "$password_file" ] && password="$(cat "$password_file")"
  export PGPASSWORD="$password"
  if [ "$("$pgbin/psql" -h 127.0.0.1 -p "$RW_PG_PORT" -U riverwatch -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'riverwatch'")" != "1" ]; then
    "$pgbin/createdb" -h 127.0.0.1 -p "$RW_PG_PORT" -U riverwatch riverwatch
  fi
  unset PGPASSWORD
  export DATABASE_URL="postgis://riverwatch${password:+:$password}@127.0.0.1:$RW_PG_PORT/riverwatch"
}

compile_translations() {
  "$PY" manage.py compilemessages --ignore=.venv --ignore=.pgdata --ignore=node_modules -v 0
}

# Browser libraries from the npm registry (package.json), served by the app itself: no CDN.
# Node.js and npm come from Debian when the machine has none; skipped when the lock file is unchanged.
ensure_front_end() {
  if ! command -v npm >/dev/null 2>&1; then
    ensure_packages nodejs npm
  fi
  local stamp="$ROOT/node_modules/.installed"
  local digest
  digest="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if ! grep -qxF "$digest" "$stamp" 2>/dev/null; then
    say "Installing browser libraries from package-lock.json (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$digest" > "$stamp"
  fi
}

# --- Backup and restore (script/backup, script/restore) ------------------------------------------

# A Python with the app's packages: the checkout's .venv, or the image's own python3 under Docker.
app_python() {
  if [ -x "$PY" ]; then echo "$PY"; return; fi
  command -v python3 || command -v python || die "No Python found (no .venv, no python3)."
}

# The PostgreSQL client tools the backup scripts call (Debian: postgresql-client).
need_pg_client() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 \
      || die "$tool is missing. Install the PostgreSQL client tools: sudo apt-get install -y postgresql-client"
  done
}

# Exports PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE &c. from the URL's query)
# from DATABASE_URL, read with django-environ as the settings read it. pg_dump, pg_restore, psql and
# psycopg then connect where the app does, over TCP with the password (no `postgres` system user
# needed, root or not), and the password never appears on a command line.
export_pg_env() {
  local lines
  lines="$("$(app_python)" - <<'PYEOF'
import os, shlex, urllib.parse
import environ
config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
values = {
    "PGHOST": urllib.parse.unquote(str(config.get("HOST") or "")),
    "PGPORT": str(config.get("PORT") or ""),
    "PGUSER": str(config.get("USER") or ""),
    "PGPASSWORD": str(config.get("PASSWORD") or ""),
    "PGDATABASE": str(config.get("NAME") or ""),
}
options = config.get("OPTIONS") or {}
for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                         ("sslkey", "PGSSLKEY"), ("connect_timeout", "PGCONNECT_TIMEOUT")):
    values[variable] = str(options.get(option, ""))
for variable, value in values.items():
    print(f"export {variable}={shlex.quote(value)}" if value else f"unset {variable}")
PYEOF
)" || die "DATABASE_URL cannot be read (expected postgis://user:password@host:port/database)."
  eval "$lines"
  [ -n "${PGDATABASE:-}" ] || die "DATABASE_URL names no database."
  export PGAPPNAME="riverwatch-${0##*/}"
}

# "host:port/database as user", for messages (never the password).
pg_target() {
  printf '%s:%s/%s as %s' "${PGHOST:-localhost}" "${PGPORT:-5432}" "$PGDATABASE" "${PGUSER:-$(id -un)}"
}

# Bytes as "12.3 MB".
human_size() {
  numfmt --to=si --suffix=B --format='%.1f' "$1" 2>/dev/null || echo "$1 bytes"
}
