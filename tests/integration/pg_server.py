"""A throwaway PostgreSQL server for tests: Debian's postgresql-15 (initdb + pg_ctl), on a unix
socket in a temporary directory, no TCP port, run as the `postgres` user, removed on close.

    with PostgresServer() as pg:
        pg.url          # "postgresql:///pathpair?host=/tmp/...&user=postgres"
        pg.query("SELECT count(*) FROM runs")   # rows as lists of strings (psql -At)
"""
import os
import shutil
import subprocess
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"


class PostgresServer:
    def __init__(self, database="pathpair"):
        self.database = database
        self.dir = tempfile.mkdtemp(prefix="pathpair-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = os.path.join(self.dir, "sock")
        for d in (self.data, self.socket_dir):
            os.mkdir(d, 0o700)
            shutil.chown(d, "postgres", "postgres")
        self.started = False

    def _as_postgres(self, argv, **kwargs):
        return subprocess.run(["runuser", "-u", "postgres", "--"] + argv, check=True,
                              capture_output=True, text=True, timeout=120, **kwargs)

    def start(self):
        self._as_postgres([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust",
                           "-U", "postgres", "--no-sync"])
        self._as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w", "-l",
                           os.path.join(self.socket_dir, "log"), "-o",
                           "-k %s -c listen_addresses= -F" % self.socket_dir, "start"])
        self.started = True
        self._as_postgres([os.path.join(PG_BIN, "createdb"), "-h", self.socket_dir,
                           self.database])
        return self

    @property
    def url(self):
        return "postgresql:///%s?host=%s&user=postgres" % (self.database, self.socket_dir)

    def query(self, sql):
        out = self._as_postgres(["psql", "-h", self.socket_dir, "-U", "postgres", "-d",
                                 self.database, "-At", "-F", "|", "-c", sql]).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def close(self):
        if self.started:
            subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(PG_BIN, "pg_ctl"),
                            "-D", self.data, "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()
        return False
