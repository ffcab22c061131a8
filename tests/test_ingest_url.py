"""`ingest URL`: download a release from a (local) server, then ingest it, in one step."""

from __future__ import annotations

import duckdb
from test_download import (  # the local Range-capable test server and its proxy guard
    FAST,
    ReleaseServer,
    _no_proxy,  # noqa: F401 - autouse fixture
)
from typer.testing import CliRunner

from ratgtex_db.cli import app


def test_ingest_from_url_downloads_then_ingests(tiny_v4, tmp_path):
    files = {p.relative_to(tiny_v4).as_posix(): p.read_bytes()
             for p in tiny_v4.rglob("*") if p.is_file()}
    srv = ReleaseServer(files)
    srv.thread.start()
    db = tmp_path / "db"
    try:
        assert FAST  # the server test module's fast retry settings exist
        res = CliRunner().invoke(app, ["--db", str(db), "ingest", "--quiet", "--tissue", "BLA",
                                       srv.url])
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
    # files the synthetic release lacks (HTML fragments, .tbi) are kinds the download pages do
    # not link: their 404s are reported as unpublished, not failures
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        tissues = {r[0] for r in con.execute(
            "SELECT DISTINCT tissue FROM cis_qtl_signif").fetchall()}
        assert tissues == {"BLA"}
        assert con.execute("SELECT count(*) FROM top_assoc").fetchone()[0] > 0
        paths = [r[0] for r in con.execute("SELECT path FROM ingested_files").fetchall()]
        assert all("/downloads/v4/" in p for p in paths)
    finally:
        con.close()
