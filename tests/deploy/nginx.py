"""A private nginx running the repository's ``deploy/nginx/gem-books.conf`` for tests.

Usage::

    with PrivateNginx(hub_port=..., addresses=["127.0.0.1"]) as nginx:   # needs /usr/sbin/nginx
        nginx.https_url("127.0.0.1")     # "https://127.0.0.1:<port>" (self-signed certificate)
        nginx.http_url("127.0.0.1")      # the port-80 server block (redirects to https)

Only the deployment-specific values change: the hub's port, the listening addresses and
ports, the certificate. Everything else -- headers, limits, blocked paths -- is what an
operator installs. nginx's own files (pid, logs, temporary bodies) live in a temporary
directory; it dies with the test process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bot.settings import PROJECT_ROOT
from tools.stack import free_port

__all__ = ["NGINX", "SITE_CONFIG", "PrivateNginx"]

NGINX = "/usr/sbin/nginx"
SITE_CONFIG = PROJECT_ROOT / "deploy" / "nginx" / "gem-books.conf"
_PR_SET_PDEATHSIG = 1

_MAIN = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/gem-books.conf;
}}
"""


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def site_config(text: str, hub_port: int, https: list[str], http: list[str], cert: Path, key: Path) -> str:
    """The site file with this test's ports and certificate (and nothing else) swapped in."""
    replacements = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{hub_port};"),
        (r"    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;\n",
         "".join(f"    listen {where} ssl http2;\n" for where in https)),
        (r"    listen 80;\n    listen \[::\]:80;\n", "".join(f"    listen {where};\n" for where in http)),
        (r"ssl_certificate     \S+;", f"ssl_certificate     {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
    ]  # fmt: skip
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"deploy/nginx/gem-books.conf no longer has {pattern!r}"
    return text


class PrivateNginx:
    def __init__(self, hub_port: int, addresses: list[str]) -> None:
        self.hub_port = hub_port
        self.addresses = addresses
        self.https_port, self.http_port = free_port(), free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="gem-nginx-"))
        self._process: subprocess.Popen[bytes] | None = None

    def https_url(self, address: str = "127.0.0.1") -> str:
        return f"https://{address}:{self.https_port}"

    def http_url(self, address: str = "127.0.0.1") -> str:
        return f"http://{address}:{self.http_port}"

    def start(self) -> PrivateNginx:
        cert, key = self._dir / "cert.pem", self._dir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        site = site_config(
            SITE_CONFIG.read_text(encoding="utf-8"),
            self.hub_port,
            [f"{a}:{self.https_port}" for a in self.addresses],
            [f"{a}:{self.http_port}" for a in self.addresses],
            cert,
            key,
        )
        (self._dir / "gem-books.conf").write_text(site, encoding="utf-8")
        # As root, workers would run as "nobody" and could not use this private directory.
        user = "user root;" if os.geteuid() == 0 else ""
        (self._dir / "nginx.conf").write_text(_MAIN.format(dir=self._dir, user=user), encoding="utf-8")
        command = [NGINX, "-p", str(self._dir), "-c", str(self._dir / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self._process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stderr=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self._process.poll() is None, self._process.stderr.read() if self._process.stderr else ""
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.addresses[0], self.https_port), 0.2),
            ):
                return self
            time.sleep(0.05)
        raise TimeoutError("nginx did not start listening")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PrivateNginx:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
