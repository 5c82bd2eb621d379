#!/usr/bin/python3
"""A throwaway PostgreSQL server for tests: Debian's postgresql-15 (initdb + pg_ctl from
/usr/lib/postgresql/15/bin), listening only on a unix socket in a temporary directory, with
trust authentication for the role `pathpair`. As root, the server runs as an unprivileged user
(`nobody` unless PATHPAIR_TEST_PG_USER says otherwise), which owns the directory; otherwise
as the current user. It is stopped and its directory removed when the `with` block ends, at
interpreter exit, on SIGTERM/SIGINT, and when the test fails.

In Python (an integration test, e.g. `pathpair serve` replicas on one database):

    sys.path.insert(0, os.path.join(REPO, "tests", "common"))
    import pg_server
    with pg_server.PgServer() as pg:
        url = pg.create_database("fleet")   # postgresql:///fleet?host=/tmp/...&user=pathpair
        ... pathpair serve with `database: <url>` ...
        pg.stop_server(); pg.start_server()  # a database outage and its end, same data

From a shell or ctest (wraps any command; its exit status is the command's):

    pg_server.py run [--database NAME] -- COMMAND ARGS...

runs COMMAND with PATHPAIR_TEST_PG_URL (a URL of the fresh database NAME, default `pathpair`)
and PATHPAIR_TEST_PG_ADMIN_URL (the `postgres` database, for creating more) in its
environment. The C++ store tests use this (tests/controller/history/CMakeLists.txt).
"""

import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"
ROLE = "pathpair"


class PgServer:
    def __init__(self, run_as=None):
        if run_as is None and os.geteuid() == 0:
            run_as = os.environ.get("PATHPAIR_TEST_PG_USER", "nobody")
        self.run_as = run_as
        self.dir = None
        self.data = None
        self.socket_dir = None
        self.log = None
        self.running = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        """initdb in a new temporary directory, then start the server. Raises on failure (the
        directory is removed first)."""
        self.dir = tempfile.mkdtemp(prefix="pathpair-pg-")
        atexit.register(self.close)
        try:
            self.data = os.path.join(self.dir, "data")
            self.socket_dir = self.dir
            self.log = os.path.join(self.dir, "server.log")
            if self.run_as is not None:
                user = pwd.getpwnam(self.run_as)
                os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", ROLE,
                       "--auth=trust", "-E", "UTF8", "--no-instructions", "--no-sync"])
            self.start_server()
        except BaseException:
            self.close()
            raise
        return self

    def start_server(self):
        """Starts (again) the server on the existing data directory and waits until it
        accepts connections."""
        options = (f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-o",
                   options, "-w", "-t", "60", "start"])
        self.running = True

    def stop_server(self, mode="fast"):
        """Stops the server (mode: smart, fast, immediate), keeping its data."""
        if self.running:
            self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                       "stop"], check=False)
            self.running = False

    def close(self):
        """Stops the server and removes its directory. Idempotent."""
        if self.dir is None:
            return
        try:
            self.stop_server("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    # -- use ---------------------------------------------------------------------------------

    def url(self, database="postgres"):
        """The libpq URL of `database` on this server (no password: trust authentication)."""
        return f"postgresql:///{database}?host={self.socket_dir}&user={ROLE}"

    def psql(self, sql, database="postgres"):
        """Runs `sql` with psql; returns its output (unaligned, tuples only)."""
        return self._run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v",
                          "ON_ERROR_STOP=1", "-d", self.url(database), "-c", sql],
                         capture=True)

    def create_database(self, name):
        """Creates database `name` (a plain identifier); returns its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain identifier: {name!r}")
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def server_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _run(self, command, check=True, capture=False):
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--"] + command
        proc = subprocess.run(command, cwd=self.dir, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout}"
                               f"\n{self.server_log()}")
        return proc.stdout if capture else None


def _run_command(argv):
    database = "pathpair"
    if argv[:1] == ["--database"]:
        database, argv = argv[1], argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: pg_server.py run [--database NAME] -- COMMAND ARGS...")
    server = PgServer()

    def on_signal(signum, _frame):
        server.close()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with server:
        env = dict(os.environ, PATHPAIR_TEST_PG_URL=server.create_database(database),
                   PATHPAIR_TEST_PG_ADMIN_URL=server.url())
        return subprocess.run(argv, env=env, check=False).returncode


if __name__ == "__main__":
    if sys.argv[1:2] != ["run"]:
        sys.exit("usage: pg_server.py run [--database NAME] -- COMMAND ARGS...")
    sys.exit(_run_command(sys.argv[2:]))
