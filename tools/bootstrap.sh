#!/usr/bin/env bash
# Create .venv with Python 3.10 and install requirements.lock into it (every package
# pinned, with hashes: two installs a month apart are the same), unless it is already up
# to date. requirements.txt says what we depend on and why; `make lock` regenerates the
# lock from it. With --browser, also make sure Debian's Chromium is installed
# (the browser tests drive it with Playwright; Playwright's own download can't work here)
# Debian's Dovecot (the IMAP poller's tests run a private instance of it), Debian's
# nginx (the reverse-proxy test runs deploy/nginx/gem-books.conf on private ports), and
# PostgreSQL, Redis and haproxy (the scaled-out stack and its tests run private instances:
# tools/local_services.py, tools/serve_scaled.py).
# apt waits for its lock (another apt or unattended-upgrades) instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.10 \
      "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)"/versions/3.10*/bin/python3.10 \
      "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /root/.pyenv/versions/3.10*/bin/python3.10 \
      /usr/local/bin/python3.10 /usr/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  if [ ! -x .venv/bin/python ]; then
    python=$(find_python) || {
      echo "error: Python 3.10 is required (Rasa 3.6 does not run on newer Pythons)." >&2
      echo "       Install it (for example: pyenv install 3.10) or set PYTHON=/path/to/python3.10." >&2
      exit 1
    }
    echo "==> creating .venv with $python"
    "$python" -m venv .venv
  fi
  echo "==> installing requirements.lock into .venv (about a minute and 3 GB the first time)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    --no-deps -r requirements.lock
  echo "$wanted" > "$stamp"
fi

if [ "${1:-}" = "--browser" ]; then
  missing=""
  [ -x /usr/bin/chromium ] || missing=" chromium"
  [ -x /usr/sbin/dovecot ] || missing="$missing dovecot-imapd"
  [ -x /usr/sbin/nginx ] || missing="$missing nginx"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
  [ -x /usr/bin/redis-server ] || missing="$missing redis-server"
  [ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
  if [ -n "$missing" ]; then
    echo "==> installing Debian's$missing for the tests"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    wait_lock="-o DPkg::Lock::Timeout=600"
    # shellcheck disable=SC2086  # $missing is a list of package names, $wait_lock two words
    $sudo apt-get $wait_lock update -qq >/dev/null \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get $wait_lock install -y -qq $missing 2>&1 >/dev/null \
      | { grep -v '^debconf: delaying package configuration' || true; } >&2
    case "$missing" in *dovecot*)
      # The tests start their own Dovecot on free loopback ports; the system service the
      # package enables would only hold 143/993, so switch it off (where it could start).
      if [ -d /run/systemd/system ]; then
        $sudo systemctl disable --now --quiet dovecot.service dovecot.socket 2>/dev/null || true
      elif [ -f /run/dovecot/master.pid ]; then
        $sudo service dovecot stop >/dev/null 2>&1 || true
      fi
    esac
    # Likewise for the others: tests and the scaled-out stack start their own instances on
    # free ports; the packaged services would only hold 80, 5432, 6379.
    for service in nginx postgresql redis-server haproxy; do
      case "$missing" in *"$service"*)
        if [ -d /run/systemd/system ]; then
          $sudo systemctl disable --now --quiet "$service.service" 2>/dev/null || true
        else
          $sudo service "$service" stop >/dev/null 2>&1 || true
        fi
      esac
    done
  fi
fi
