"""Real mail servers on loopback for tests and benchmarks: Dovecot (IMAP) and aiosmtpd (SMTP).

`Dovecot(directory)` writes a throw-away configuration, a passwd-file and Maildirs under
`directory`, starts `dovecot -F` on a free port and delivers messages by writing Maildir
files (Dovecot gives them UIDs when a client next looks). `SmtpSink()` is an aiosmtpd server
that keeps what it receives, and can answer with a chosen error code.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, seconds: float = 15.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


class Dovecot:
    """A Dovecot IMAP server of our own on 127.0.0.1:`port` (plain IMAP, passwd-file users).

    Dovecot refuses to serve mail as root; run as root, the mail is owned by the `dovecot`
    system user and lives in a directory of its own under the system's temporary directory
    (pytest's are closed to other users), removed again by `stop`.
    """

    def __init__(self, directory: str | os.PathLike[str], users: dict[str, str] | None = None) -> None:
        if DOVECOT is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="gongdan-dovecot-")) if self.as_root else Path(directory)
        owner = pwd.getpwnam("dovecot") if self.as_root else None
        self.uid, self.gid = (owner.pw_uid, owner.pw_gid) if owner else (os.getuid(), os.getgid())
        self.users = dict(users or {"support@acme.example": "secret-pass"})
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._counter = 0

    def start(self) -> Dovecot:
        """Write the configuration and start the server; returns once it accepts connections."""
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # noqa: S103 - dovecot's own users must reach the mail
        user = pwd.getpwuid(os.getuid()).pw_name
        internal, login = ("dovecot", "dovenull") if self.as_root else (user, user)
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(root=self.root, port=self.port, uid=self.uid, gid=self.gid, internal=internal, login=login)
        )
        for name in self.users:
            for sub in ("cur", "new", "tmp"):
                self._own((self.root / "mail" / name / sub), directory=True)
            self._own(self.root / "mail" / name, directory=True)
        self._own(self.root / "mail", directory=True)
        self._own(self.root / "home", directory=True)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot did not start: {log[-2000:]}") from None
        return self

    def _own(self, path: Path, directory: bool = False) -> None:
        if directory:
            path.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            os.chown(path, self.uid, self.gid)

    def stop(self) -> None:
        """Stop the server (and remove its directory when it made its own)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.as_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def deliver(self, raw: bytes, user: str | None = None) -> Path:
        """Put a message into `user`'s INBOX (a Maildir file, written atomically via tmp/)."""
        user = user or next(iter(self.users))
        self._counter += 1
        name = f"{time.time_ns()}.P{os.getpid()}Q{self._counter}.gongdan,S={len(raw)}"
        box = self.root / "mail" / user
        tmp = box / "tmp" / name
        tmp.write_bytes(raw)
        self._own(tmp)
        target = box / "new" / name
        os.rename(tmp, target)
        return target

    def deliver_many(self, messages: list[bytes], user: str | None = None) -> None:
        """Deliver several messages in order."""
        for raw in messages:
            self.deliver(raw, user)

    def reset_uidvalidity(self, user: str | None = None) -> None:
        """Throw away Dovecot's UID list of `user`'s INBOX, as a server migration would."""
        box = self.root / "mail" / (user or next(iter(self.users)))
        for name in ("dovecot-uidlist", "dovecot.index", "dovecot.index.cache", "dovecot.index.log"):
            (box / name).unlink(missing_ok=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message (`messages`: envelopes)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.reply: str | None = None  # e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message, or answer with the configured error."""
        if self.reply:
            return self.reply
        with self._lock:
            self.messages.append(envelope)
        return "250 OK"

    def start(self) -> SmtpSink:
        """Start listening."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (once)."""
        if self.controller.loop.is_running():
            self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Any]:
        """The messages once at least `count` arrived."""
        end = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < end:
            time.sleep(0.02)
        return list(self.messages)


def sending_mailbox(tenant: Any, sink: SmtpSink, address: str = "support@acme.example") -> Any:
    """A mailbox of `tenant` that sends through `sink` and fetches from nowhere (for tests that only
    send: notifications, sign-in links, scheduled reports). The e-mail plugin must be on."""
    from gongdan_email import mailboxes

    return mailboxes.create(
        tenant,
        {
            "address": address,
            "imap_host": "127.0.0.1",
            "imap_port": 1,
            "imap_security": "none",
            "password": "x",
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "smtp_security": "none",
        },
    )


class HangingServer:
    """A TCP server that accepts connections and never says a word (a hung IMAP server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self) -> None:
        """Close everything."""
        self.sock.close()
        for conn in self.held:
            conn.close()


def corpus_files(directory: Path) -> Iterator[Path]:
    """The `.eml` files of a corpus directory, sorted."""
    return iter(sorted(directory.glob("*.eml")))
