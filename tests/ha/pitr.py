"""Point-in-time recovery with PostgreSQL's own tools: a base backup (pg_basebackup) plus the WAL the
cluster archives (archive_command of scripts/ha-cluster.sh), replayed up to a chosen time."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _as_postgres(cmd: list[str]) -> list[str]:
    return (
        ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *cmd]
        if os.geteuid() == 0
        else cmd
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Restored:
    """A server started from a base backup, replaying archived WAL up to `target_time`; `stop()` removes it."""

    def __init__(self, bin_dir: Path, backup: Path, archive: Path, target_time: str) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="immunize-ha.pitr-", dir="/tmp"))
        self.data = self.root / "data"
        shutil.copytree(backup, self.data)
        self.port = _free_port()
        (self.data / "recovery.signal").write_text("")
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"restore_command = 'cp {archive}/%f %p'\n")
            conf.write(f"recovery_target_time = '{target_time}'\n")
            conf.write("recovery_target_action = 'promote'\n")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, pw.pw_uid, pw.pw_gid)
        self.data.chmod(0o700)
        self._started = False

    def start(self) -> None:
        # The copy must not archive into the cluster's archive nor wait for a synchronous standby.
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c archive_mode=off -c synchronous_standby_names='' -c hot_standby=on"
        )
        self._started = True
        subprocess.run(
            _as_postgres(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-t",
                    "120",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=150,
        )

    def wait_promoted(self, password: str, timeout: float = 120) -> None:
        """Wait until recovery reached the target and the server accepts writes."""
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error):
                url = f"postgresql://postgres:{password}@127.0.0.1:{self.port}/postgres"
                with psycopg.connect(url, connect_timeout=2) as conn:
                    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                    if row is not None and not row[0]:
                        return
            time.sleep(0.3)
        raise TimeoutError(
            f"the restored server did not finish recovery: {(self.root / 'log').read_text()[-2000:]}"
        )

    def stop(self) -> None:
        if self._started:
            subprocess.run(
                _as_postgres(
                    [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def base_backup(bin_dir: Path, host: str, port: int, password: str) -> Path:
    """pg_basebackup of the primary into a new folder (owned by postgres when root)."""
    target = Path(tempfile.mkdtemp(prefix="immunize-ha.base-", dir="/tmp"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(target, pw.pw_uid, pw.pw_gid)
    subprocess.run(
        _as_postgres(
            [
                "env",
                f"PGPASSWORD={password}",
                str(bin_dir / "pg_basebackup"),
                "-h",
                host,
                "-p",
                str(port),
                "-U",
                "postgres",
                "-D",
                str(target / "data"),
                "--checkpoint=fast",
                "--wal-method=stream",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target
