"""Addresses as users type them, and passwords that never show: one parser for every form
(urls.parse), one-line usage errors for malformed ones, and a marker password run through
every failing path of every command, grepped for in all output, JSON logs, model files and
reports. Also the ways to keep a password off the process list (option and service files,
environment variables), against real servers."""

from __future__ import annotations

import ssl
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dbclone import errors
from dbclone.cli import app
from dbclone.connect import engine_for
from dbclone.errors import UsageError
from dbclone.urls import parse
from tests.helpers import MY_SERVER, PG_SERVER, require_server

runner = CliRunner()
#: The tail every marker password shares; it must never appear in anything dbclone writes.
MARK = "Hyg13neMark"
MARKERS = [f"p{MARK}", f"a@b{MARK}", f"sp ace{MARK}", f"sl/sh?{MARK}", f"q'uo{MARK}"]

_FORMS = [  # typed -> (driver, user, password, host, port, database, query)
    ("postgresql://u:pw@h:5433/db", ("postgresql+psycopg", "u", "pw", "h", 5433, "db", {})),
    ("postgres://u@h/db", ("postgresql+psycopg", "u", None, "h", None, "db", {})),
    ("postgresql://u:a@b@h/db", ("postgresql+psycopg", "u", "a@b", "h", None, "db", {})),
    ("postgresql://u:a b/c?d@h/db", ("postgresql+psycopg", "u", "a b/c?d", "h", None, "db", {})),
    ("postgresql://u:a%40b@h/db", ("postgresql+psycopg", "u", "a@b", "h", None, "db", {})),
    ("postgresql://u@[::1]:5433/db", ("postgresql+psycopg", "u", None, "::1", 5433, "db", {})),
    ("postgresql:///db?service=svc",
     ("postgresql+psycopg", None, None, None, None, "db", {"service": "svc"})),
    ("host=h port=5433 dbname=db user=u password='a b'",
     ("postgresql+psycopg", "u", "a b", "h", 5433, "db", {})),
    ("service=svc sslmode=disable",
     ("postgresql+psycopg", None, None, None, None, None, {"service": "svc",
                                                            "sslmode": "disable"})),
    ("mysql://root:pw@h:3307/db", ("mysql+pymysql", "root", "pw", "h", 3307, "db", {})),
    ("mariadb://root@h/db?read_default_file=/x.cnf",
     ("mariadb+pymysql", "root", None, "h", None, "db", {"read_default_file": "/x.cnf"})),
    ("sqlite:///rel.db", ("sqlite", None, None, None, None, "rel.db", {})),
    ("sqlite:////abs/x.db", ("sqlite", None, None, None, None, "/abs/x.db", {})),
    ("plain.sqlite3", ("sqlite", None, None, None, None, "plain.sqlite3", {})),
]


@pytest.mark.parametrize(("typed", "want"), _FORMS)
def test_every_form_parses(typed: str, want: tuple[object, ...],
                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.my.cnf
    monkeypatch.delenv("MYSQL_PWD", raising=False)
    url = parse(typed).url
    got = (url.drivername, url.username, url.password, url.host, url.port, url.database,
           dict(url.query))
    assert got == want
    assert "pw" not in parse(typed).shown.replace("pwd", "") or url.password is None


_MALFORMED = [  # typed -> words the one-line error must hold
    (f"postgresql:/u:{MARKERS[0]}@127.0.0.1/db", "two slashes"),
    (f"postgresql://u:{MARKERS[1]}@127.0.0.1:abc/db", "port 'abc'"),
    (f"postgresql://u:{MARKERS[2]}@[::1/db", "closing ']'"),
    (f"mysql://u:{MARKERS[3]}@h:99999/db", "port '99999'"),
    (f"host=h port=x5 password='{MARKERS[2]}'", "port 'x5'"),
    (f"host=h password='{MARKERS[4]}", "malformed connection string"),
    (f"u:{MARKERS[0]}@h/db", "not a database URL"),
]


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Every command below must mask on its own, not thanks to an earlier test."""
    errors.forget_secrets()
    yield
    errors.forget_secrets()


@pytest.mark.parametrize(("typed", "words"), _MALFORMED)
@pytest.mark.parametrize("log_json", [False, True])
def test_malformed_urls_are_one_line_usage_errors(typed: str, words: str, log_json: bool) -> None:
    result = runner.invoke(app, [*(["--log-json"] if log_json else []), "inspect", typed])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert words in result.output
    assert MARK not in result.output


@pytest.mark.parametrize("typed", ["postgresql://u@127.0.0.1:abc/db",
                                   "mysql://u@[::1/db", "postgresql://u@h:99999/db"])
def test_malformed_url_without_password_is_shown_as_typed(typed: str) -> None:
    """No password typed: the message quotes the address whole (it once read the scheme as
    a user and masked 'postgresql:***@')."""
    result = runner.invoke(app, ["inspect", typed])
    assert result.exit_code == 2, result.output
    assert repr(typed) in result.output, result.output
    assert "***" not in result.output


def _pg_url(db: str, password: str) -> str:
    url = sa.make_url(PG_SERVER)
    return f"postgresql://{url.username}:{password}@{url.host}:{url.port or 5432}/{db}"


def _my_url(db: str, user: str, password: str) -> str:
    url = sa.make_url(MY_SERVER)
    return f"mysql://{user}:{password}@{url.host}:{url.port or 3306}/{db}"


@pytest.fixture
def mysql_user() -> Iterator[tuple[str, str]]:
    """A MariaDB user with a marker password, allowed everything on dbclone_test_* databases;
    dropped afterwards."""
    require_server("mysql")
    name, password = f"hyg_{uuid.uuid4().hex[:8]}", f"pw{MARK}"
    admin = sa.create_engine(f"{MY_SERVER}/", poolclass=sa.pool.NullPool,
                             isolation_level="AUTOCOMMIT")
    hosts = ("127.0.0.1", "localhost")
    try:
        with admin.connect() as conn:
            for host in hosts:
                conn.exec_driver_sql(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'")
                conn.exec_driver_sql(f"GRANT ALL ON `dbclone\\_test\\_%%`.* TO '{name}'@'{host}'")
        yield name, password
    finally:
        with admin.connect() as conn:
            for host in hosts:
                conn.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'{host}'")


def _small_pg_source(url: str) -> None:
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE team (id INT PRIMARY KEY, name TEXT NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE player (id INT PRIMARY KEY, team_id INT REFERENCES "
                             "team (id), score NUMERIC(6, 2))")
        conn.exec_driver_sql("INSERT INTO team SELECT g, 'team ' || g FROM "
                             "generate_series(1, 20) g")
        conn.exec_driver_sql("INSERT INTO player SELECT g, 1 + g %% 20, g * 1.5 FROM "
                             "generate_series(1, 200) g")


def test_marker_password_never_shown(new_db: Callable[[str], str], tmp_path: Path,
                                     mysql_user: tuple[str, str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every failing path of every command, with passwords holding '@', spaces, slashes and
    quotes, plain and with --log-json: the marker appears in no output, log, model file or
    report (PostgreSQL here trusts 127.0.0.1, so a password in its URL is accepted)."""
    require_server("postgresql")
    src_db = sa.make_url(new_db("postgresql")).database
    tgt_db = sa.make_url(new_db("postgresql")).database
    _small_pg_source(f"{PG_SERVER}/{src_db}")
    my_db = sa.make_url(new_db("mysql")).database
    sqlite_target = new_db("sqlite")
    model, html, report_json = tmp_path / "m.json", tmp_path / "r.html", tmp_path / "r.json"
    out: list[str] = []

    def run(*args: str, code: int | None = None, env: dict[str, str] | None = None) -> None:
        for log in ([], ["--log-json"]):
            errors.forget_secrets()
            result = runner.invoke(app, [*log, *args], env=env)
            out.append(result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), \
                (args, result.output)
            if code is not None:
                assert result.exit_code == code, (args, result.output)

    user, real = mysql_user
    for pw in MARKERS:  # the cheap failing paths, with every kind of password
        src = _pg_url(src_db, pw)
        run("inspect", src.replace(":5432", ":1"), code=3)  # refused
        quoted = pw.replace("\\", "\\\\").replace("'", "\\'")  # libpq's quoting
        run("inspect", f"host=127.0.0.1 port=1 dbname=x user=u password='{quoted}'", code=3)
        run("inspect", _my_url(my_db, user, pw), code=3)  # wrong password, real server
        run("inspect", src.replace(src_db, "dbclone_no_such_db_hyg"), code=3)
        run("inspect", "postgresql://127.0.0.1:1/db", code=3, env={"PGPASSWORD": pw})
    pw = MARKERS[1]  # the whole way, once: fit, sample, refusals, diff, report
    src, tgt = _pg_url(src_db, pw), _pg_url(tgt_db, pw)
    run("clone", src, _pg_url("dbclone_no_such_db_hyg", pw), code=3)
    run("clone", src, sqlite_target)  # translated to SQLite; the second time: not empty
    run("fit", src, "-o", str(model), code=0)
    run("sample", str(model), _my_url(my_db, user, real), code=2)  # dialects differ
    run("sample", str(model), tgt, "--scale", "0.5")
    run("sample", str(model), tgt, code=1)  # not empty now
    run("diff", src, tgt)
    run("report", src, tgt, "--html", str(html), "--json", str(report_json),
        "--sample-rows", "200")
    missing = _pg_url("dbclone_no_such_db_hyg", pw)  # the other commands' failing paths
    run("plan", src.replace(":5432", ":1"), code=3)
    run("fit", src, "-o", str(tmp_path / "no" / "m.json"), code=2)
    run("refresh", str(model), missing, code=3)
    run("diff", src, missing, code=3)
    run("report", src, missing, code=3)
    helptext = runner.invoke(app, ["clone", "--help"], terminal_width=200).output
    for opts in (["--workers", "2"], ["--dask", "tcp://127.0.0.1:1"]):  # once the CLI has them
        if opts[0] in helptext:
            run("clone", src, missing, *opts, code=3)
            run("sample", str(model), tgt, *opts, code=1)  # not empty
            run("clone", src, tgt, "--replace", *opts)  # the whole way, or its failure
    text = "\n".join(out)
    assert "cannot connect" in text and "not empty" in text  # the paths were taken
    assert MARK not in text
    for path in (model, html, report_json):
        assert path.exists() and MARK not in path.read_text(encoding="utf-8"), path


def test_cli_process_masks_and_exits_2_without_traceback() -> None:
    """The real console entry, not the test runner: one line on stderr, exit 2."""
    bad = f"postgresql://u:{MARKERS[1]}@host:abc/db"
    proc = subprocess.run([sys.executable, "-c", "from dbclone.cli import app; app()",
                           "--log-json", "inspect", bad],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and MARK not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1


def test_mysql_option_file_and_mysql_pwd(mysql_user: tuple[str, str], new_db, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The password of a MariaDB user with a password, read from an option file
    (?read_default_file=, and ~/.my.cnf when the URL has none) or MYSQL_PWD: the URL on the
    command line holds no password, and the login works."""
    user, password = mysql_user
    db = sa.make_url(new_db("mysql")).database
    url = sa.make_url(MY_SERVER)
    cnf = tmp_path / "client.cnf"
    cnf.write_text(f"[client]\npassword={password}\n", encoding="utf-8")
    cnf.chmod(0o600)
    bare = f"mysql://{user}@{url.host}:{url.port or 3306}/{db}"
    monkeypatch.delenv("MYSQL_PWD", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    with pytest.raises(errors.ConnectError):
        engine_for(bare)  # no password anywhere: refused
    with engine_for(f"{bare}?read_default_file={cnf}").connect() as conn:
        assert conn.exec_driver_sql("SELECT CURRENT_USER()").scalar().startswith(user)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".my.cnf").write_text(cnf.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    engine_for(bare).dispose()
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    monkeypatch.setenv("MYSQL_PWD", password)
    engine_for(bare).dispose()
    result = runner.invoke(app, ["inspect", bare.replace(f"/{db}", "/dbclone_test_nodb_hyg")])
    assert result.exit_code == 3 and MARK not in result.output


def test_postgresql_service_and_password_files(new_db, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq's service file names host, port, database and user (``?service=`` or
    ``service=``), its password file the password: nothing on the command line but a name.
    (This server trusts 127.0.0.1, so the password file is read but not needed; a wrong
    service name fails with one line.)"""
    db = sa.make_url(new_db("postgresql")).database
    server = sa.make_url(PG_SERVER)
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[hyg]\nhost={server.host}\nport={server.port or 5432}\n"
                        f"dbname={db}\nuser={server.username}\n", encoding="utf-8")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{server.username}:pw{MARK}\n", encoding="utf-8")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    for typed in ("postgresql:///?service=hyg", "service=hyg", f"postgresql:///{db}?service=hyg"):
        with engine_for(typed).connect() as conn:
            assert conn.exec_driver_sql("SELECT current_database()").scalar() == db
    result = runner.invoke(app, ["inspect", "service=nosuchservice"])
    assert result.exit_code == 3, result.output
    assert "nosuchservice" in result.output and len(result.output.strip().splitlines()) == 1
    with pytest.raises(UsageError):
        parse("service=hyg port=none")


def test_mysql_connections_share_one_tls_context() -> None:
    """PyMySQL made a TLS context per connection (loading the system's CA bundle, ~0.08
    CPU-s each) where the URL asks for no TLS option; dbclone's connections share one per
    process, and a context asked for with options is still made for its connection."""
    require_server("mysql")
    engine = engine_for(f"{MY_SERVER}/mysql")
    contexts = []
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            raw = conn.connection.dbapi_connection
            contexts.append(raw.ctx)  # type: ignore[union-attr]
    assert len({id(c) for c in contexts}) == 1
    assert contexts[0].verify_mode == ssl.CERT_NONE and not contexts[0].check_hostname
    cls = type(raw)
    asked = {"ca": None, "check_hostname": False, "verify_mode": "optional"}
    own = cls._create_ssl_ctx(object.__new__(cls), asked)
    assert own is not contexts[0] and own.verify_mode == ssl.CERT_OPTIONAL
