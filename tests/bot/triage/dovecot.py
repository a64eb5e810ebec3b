"""A private Dovecot IMAP server for tests: its own config, users, maildirs and ports.

Usage::

    with Dovecot() as dovecot:                    # needs /usr/sbin/dovecot (make setup-browser)
        dovecot.append(b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
        settings = Settings(imap_host="127.0.0.1", imap_port=dovecot.port, imap_security="none",
                            imap_username=dovecot.user, imap_password=dovecot.password)
        dovecot.flags()                            # {uid: {"\\\\Seen", ...}} of the INBOX
        dovecot.create_mailbox("case-1")           # a fresh mailbox per test
        dovecot.stop(); dovecot.start()            # a server that goes away and comes back

Listens on loopback only: ``port`` takes plain IMAP and STARTTLS, ``tls_port`` implicit
TLS, both with a self-signed certificate for 127.0.0.1 (``client_ssl_context()`` trusts it).
Plaintext login is allowed without TLS, which only makes sense on loopback.

Two users share ``password``: ``user`` has an ordinary INBOX, ``no_keywords_user`` an INBOX
whose ACL withholds the "write flags" right, so its PERMANENTFLAGS lack ``\\*`` and only
``\\Seen`` and ``\\Deleted`` stick.

As root, Dovecot runs its login and auth processes as its packaged users (dovenull,
dovecot) and the mail processes as ``nobody``: it refuses mail access as UID 0. As an
ordinary user every process would run as that user (written for, not tried: the tests here
run as root).
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tools.stack import LOOPBACK, free_port

__all__ = ["DOVECOT", "Dovecot"]

DOVECOT = "/usr/sbin/dovecot"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: a test run that is killed takes its Dovecot down instead of leaving it behind.

    Linux ties this to the thread that started the child: start() from the test's own thread."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Dovecot:
    user = "triage"
    no_keywords_user = "noflags"
    password = 'gem "S3cret\\ pass'  # a quote and a backslash: sent escaped, must still never be logged

    def __init__(self) -> None:
        # Not pytest's tmp_path: it is private to root, and the mail processes run as nobody.
        self.root = Path(tempfile.mkdtemp(prefix="gem-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.tls_port = free_port()
        self.log_path = self.root / "dovecot.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._write_config()

    # -- life cycle -------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=(self.root / "stdout.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends every child with it
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while not (self._accepts(self.port) and self._accepts(self.tls_port)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Dovecot did not start; see {self.root}/stdout.log and {self.log_path}")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # The master leaves its imap (and log) processes to finish on their own, so an open
        # session would go on answering for a while: end them, like a server going down.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while self._accepts(self.port) and time.monotonic() < deadline:
            time.sleep(0.02)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- mailbox helpers (blocking; wrap in asyncio.to_thread from async tests) -------------

    def create_mailbox(self, mailbox: str, user: str | None = None) -> None:
        with self._session(user) as imap:
            typ, data = imap.create(mailbox)
            assert typ == "OK", data

    def append(self, raw: bytes, mailbox: str = "INBOX", user: str | None = None) -> None:
        with self._session(user) as imap:
            typ, data = imap.append(mailbox, None, None, raw)
            assert typ == "OK", data

    def expunge(self, uid: int, mailbox: str = "INBOX", user: str | None = None) -> None:
        with self._session(user) as imap:
            imap.select(mailbox)
            imap.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
            typ, data = imap.expunge()
            assert typ == "OK", data

    def flags(self, mailbox: str = "INBOX", user: str | None = None) -> dict[int, set[str]]:
        """The flags of every mail in the mailbox, by UID."""
        with self._session(user) as imap:
            imap.select(mailbox, readonly=True)
            typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            assert typ == "OK", data
        flags: dict[int, set[str]] = {}
        for item in data:
            if not isinstance(item, bytes):
                continue
            text = item.decode()
            uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")"))
            flags[uid] = set(text.split("FLAGS (", 1)[1].split(")", 1)[0].split()) - {"\\Recent"}
        return flags

    def client_ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.root / "cert.pem"))

    def _session(self, user: str | None) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(LOOPBACK, self.port, timeout=10)
        imap.login(user or self.user, self.password)
        return imap

    # -- set-up -----------------------------------------------------------------------------

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.2):
                return True
        except OSError:
            return False

    def _write_config(self) -> None:
        root = self.root
        if os.geteuid() == 0:
            mail_user, mail_group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
            service_users = ""
        else:  # everything as the one user we are
            mail_user = pwd.getpwuid(os.geteuid()).pw_name
            mail_group = grp.getgrgid(os.getegid()).gr_name
            service_users = f"default_login_user = {mail_user}\ndefault_internal_user = {mail_user}\n"
        passwd = root / "passwd"
        with passwd.open("w") as lines:
            for name in (self.user, self.no_keywords_user):
                home = root / "mail" / name
                (home / "Maildir").mkdir(parents=True)
                lines.write(f"{name}:{{PLAIN}}{self.password}::::{home}\n")
        # Every right but "w" (write flags other than \Seen and \Deleted): no custom keywords.
        (root / "mail" / self.no_keywords_user / "Maildir" / "dovecot-acl").write_text("owner lrsitekxe\n")
        passwd.chmod(0o644)
        for path in [root / "mail", *(root / "mail").rglob("*")]:
            shutil.chown(path, mail_user, mail_group)
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(root / "key.pem"),
                "-out",
                str(root / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        (root / "dovecot.conf").write_text(f"""\
base_dir = {root}/run
state_dir = {root}/state
instance_name = gem-test-{self.port}
log_path = {self.log_path}
{service_users}protocols = imap
listen = {LOOPBACK}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# Answer a wrong password at once, and without the growing per-IP penalty (anvil's
# listener absent): the tests try one on purpose, all from 127.0.0.1.
auth_failure_delay = 0
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_plugins = acl
protocol imap {{
  mail_plugins = $mail_plugins imap_acl
}}
plugin {{
  acl = vfile
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {LOOPBACK}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {LOOPBACK}
    port = {self.tls_port}
  }}
}}
""")
