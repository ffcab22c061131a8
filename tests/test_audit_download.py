"""Audit of ``download`` / ``ingest URL`` against architecture.md 1-2, 4, release-format.md 1
(URL layout ``data/{version}/...``, study archives, ``data/predict/``), the README and --help.

Every check runs the installed CLI as a real process against a real HTTP server on 127.0.0.1
(``http.server`` in a thread of the test process, a free port), serving a hand-made tree in
the documented layout (small files written here, or copied from the tiny synthetic release).
Nothing of our code is mocked. Tests asserting documented (or plainly expected) behaviour that
the code violates are left failing on purpose: they are the findings.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

# Subprocess-heavy (~30-45 s): run with `python -m pytest -m slow`; the suite's default
# run keeps within CI's time budget.
pytestmark = pytest.mark.slow

V4_TISSUES = ["Adipose", "BLA", "Brain", "Eye", "IC", "IL", "LHb", "Liver", "NAcc", "OFC", "PL",
              "pVTA", "RMTg"]
MODALITIES = ["expression", "isoforms", "splicing", "alt_TSS", "alt_polyA", "stability"]
SIGNIF_BLA = "xqtl/cis_qtl_signif.BLA.{m}.v4_rn8.txt.gz"
BIG = SIGNIF_BLA.format(m="expression")
GENE = "gene.v4.tsv"


# --- the server ------------------------------------------------------------------------------


class Server:
    """Serves ``root`` (a folder standing for the portal's ``data/``) with Range support.

    ``behave[url_path]`` (or ``default``) tunes responses: ``status`` (answer that code with an
    HTML body), ``html`` (200 text/html page for any path), ``any`` (200, one byte, any path),
    ``rate`` (bytes per second), ``range_rate`` (the rate of answers to Range requests),
    ``drop_once`` (announce the full length, send N bytes, close, once), ``hold_at`` (a full
    transfer stops after N bytes until a Range request for the path has been answered for
    0.5 s). ``log`` holds (method, path, Range header) of every request.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.behave: dict[str, dict] = {}
        self.default: dict = {}
        self.log: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()
        self.ranged = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.audit = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def gets(self, rel: str | None = None) -> list[tuple[str, str, str | None]]:
        return [e for e in self.log if e[0] == "GET" and (rel is None or e[1].endswith(rel))]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _small(self, code: int, body: bytes, ctype: str, head: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        srv: Server = self.server.audit  # type: ignore[attr-defined]
        with srv.lock:
            srv.log.append((self.command, self.path, self.headers.get("Range")))
            b = srv.behave.get(self.path, srv.default)
            drop = b.pop("drop_once", None) if not head else None
        if b.get("status"):
            return self._small(b["status"], b"<html><body><h1>Error</h1></body></html>\n",
                               "text/html", head)
        if b.get("html"):
            return self._small(200, b"<!DOCTYPE html>\n<html><head><title>RatGTEx Portal</title>"
                               b"</head><body>Welcome</body></html>\n",
                               "text/html; charset=utf-8", head)
        if b.get("any"):
            return self._small(200, b"x", "application/octet-stream", head)
        f = srv.root / self.path.lstrip("/")
        if not f.is_file():
            return self._small(404, b"<html>404 Not Found</html>\n", "text/html", head)
        size = f.stat().st_size
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{size:x}-{int(f.stat().st_mtime):x}"')
        self.end_headers()
        if head:
            return
        rate = b.get("range_rate", b.get("rate")) if start else b.get("rate")
        hold = None if start else b.get("hold_at")
        if start:
            threading.Timer(0.5, srv.ranged.set).start()
        sent = 0
        with open(f, "rb") as fh:
            fh.seek(start)
            while True:
                n = 1 << 16 if rate is None else max(1, min(1 << 16, rate // 20))
                if drop is not None:
                    n = min(n, drop - sent)
                    if n <= 0:
                        self.close_connection = True
                        return
                if hold is not None and sent >= hold:
                    srv.ranged.wait(20)
                    hold = None
                if hold is not None:
                    n = min(n, hold - sent)
                chunk = fh.read(n)
                if not chunk:
                    return
                try:
                    self.wfile.write(chunk)
                except OSError:
                    return
                sent += len(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)


# --- helpers ---------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("RATGTEX_DB", None)
    return env


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["ratgtex-db", *args], capture_output=True, text=True, env=_env(),
                          timeout=timeout)


def popen(*args: str) -> subprocess.Popen:
    return subprocess.Popen(["ratgtex-db", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _wait_for(path: Path, min_bytes: int, proc: subprocess.Popen, limit: float = 20) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if path.exists() and path.stat().st_size >= min_bytes:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the download ended before {path} grew: {proc.stderr.read()}")
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {min_bytes} bytes")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _v4_paths(tissues: list[str]) -> set[str]:
    """release-format 1.2, rows 1-24, written out from the table (not from our registry)."""
    out = {"gene.v4.tsv", "exon.v4.tsv", "tissue_info.v4.tsv", "autocomplete.v4.json",
           "ref/RatGTEx_rats.v4.tsv", "ref/RatGTEx_samples.v4.tsv", "ref/rats.v4.html",
           "ref/samples.v4.html", "geno/ratgtex_v4_round11_2.rn8.vcf.gz",
           "geno/ratgtex_v4_round11_2.rn8.vcf.gz.tbi", "expr/medianGeneExpression.v4.tsv.gz",
           "expr/topExpressedGene.v4.tsv", "eqtl/top_assoc.v4_rn8.tsv",
           "eqtl/eqtls_indep.v4_rn8.tsv", "eqtl/all_gene_esnps.v4.zip"}
    for m in [*MODALITIES, "cross_modality"]:
        out |= {f"xqtl/top_assoc.{m}.v4_rn8.tsv", f"xqtl/xqtls_indep.{m}.v4_rn8.tsv"}
    for t in tissues:
        out |= {f"rat_ids/rat_ids.{t}.v4.txt", f"fastq_map/fastq_map.{t}.v4.txt",
                f"expr/expr.log2.{t}.v4_rn8.bed.gz", f"expr/expr.tpm.{t}.v4_rn8.bed.gz",
                f"xqtl/trans_qtl_pairs.{t}.expression.v4_rn8.txt.gz", f"cis_pvals/{t}.v4.zip",
                f"covar/covar.{t}.cross_modality.v4.tsv"}
        for m in MODALITIES:
            out |= {f"covar/covar.{t}.{m}.v4.tsv", f"xqtl/cis_qtl_signif.{t}.{m}.v4_rn8.txt.gz",
                    f"phenos/phenos.{t}.{m}.unnorm.v4_rn8.bed.gz",
                    f"phenos/phenos.{t}.{m}.norm.v4_rn8.bed.gz"}
    return out


def _gene_tsv(n: int, seed: int = 1) -> bytes:
    """A gene.v4.tsv-shaped text table of n rows (release-format 3.1 header, first columns)."""
    rng = random.Random(seed)
    head = "geneId\tchromosome\tstart\tend\tstrand\ttss\tdescription\thasEqtl\n"
    rows = "".join(f"G{i}\tchr1\t{i}\t{i + 10}\t+\t{i}\tdesc {rng.random():.9f}\tTrue\n"
                   for i in range(n))
    return (head + rows).encode()


@pytest.fixture(scope="module")
def slow_tree(tiny_v4: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """data/v4 with gene.v4.tsv and BLA's six signif files (synth), the expression one a 4 MB
    gzip of random bytes (valid gzip; it only has to be transferred and checked)."""
    root = tmp_path_factory.mktemp("slow_tree") / "data"
    v4 = root / "v4"
    (v4 / "xqtl").mkdir(parents=True)
    shutil.copy(tiny_v4 / GENE, v4 / GENE)
    for m in MODALITIES[1:]:
        shutil.copy(tiny_v4 / SIGNIF_BLA.format(m=m), v4 / SIGNIF_BLA.format(m=m))
    big = gzip.compress(random.Random(3).randbytes(4_000_000), compresslevel=1, mtime=0)
    (v4 / BIG).write_bytes(big)
    return root, big


def _one_tissue_copy(v4: Path, out: Path, tissue: str = "BLA") -> Path:
    """The files of a synthetic data/v4 that a download with --tissue TISSUE fetches: the
    release-wide ones and TISSUE's (plus the synthetic marker)."""
    others = [t for t in V4_TISSUES if t != tissue]
    token = re.compile(r"[./]({})\.".format("|".join(map(re.escape, others))))
    for p in v4.rglob("*"):
        rel = p.relative_to(v4).as_posix()
        if p.is_file() and not token.search("/" + rel):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, out / rel)
    return out


@pytest.fixture(scope="module")
def background(tiny_v4, tmp_path_factory):
    """Long runs that mostly wait (retry back-off) or that several tests read, started by the
    module's first test so they overlap the others: a persistent 500, a refused connection,
    `ingest URL --tissue BLA` of a served tree, and `ingest` of the same tree from disk."""
    tmp = tmp_path_factory.mktemp("background")
    root = tmp / "data"
    (root / "v4").mkdir(parents=True)
    (root / "v4" / GENE).write_bytes(_gene_tsv(10))
    err500 = Server(root).__enter__()
    err500.default = {"status": 500}
    refused = f"http://127.0.0.1:{_free_port()}"
    served = _one_tissue_copy(tiny_v4, tmp / "bla" / "data" / "v4")
    rel = Server(served.parent).__enter__()
    db = tmp / "url_db"
    url_args = ("--db", str(db), "ingest", "--quiet", "--tissue", "BLA", rel.url)
    procs = {
        "500": (popen("download", str(tmp / "d500"), "--base-url", err500.url, "--kind",
                      "gene"), err500.url, tmp / "d500"),
        "refused": (popen("download", str(tmp / "dref"), "--base-url", refused, "--kind",
                          "gene"), refused, tmp / "dref"),
        "url": (popen(*url_args), rel, db, url_args),
        "disk": (popen("--db", str(tmp / "disk_db"), "ingest", "--quiet", str(served)),
                 tmp / "disk_db"),
    }
    yield procs
    for proc, *_ in procs.values():
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    err500.__exit__()
    rel.__exit__()


@pytest.fixture(scope="module")
def disk_db(background) -> Path:
    """`ingest TREE` of the very files `ingest URL` downloads (data/v4 with BLA only)."""
    proc, db = background["disk"]
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return db


# --- what is listed and fetched --------------------------------------------------------------


def test_dry_run_lists_exactly_the_documented_v4_tree_and_writes_nothing(tmp_path, background):
    """release-format 1.2: the 432 paths of data/v4/ (rows 1-24) under {base}/v4/; --dry-run
    ('Only list the files and their sizes (HEAD requests); write nothing')."""
    dest = tmp_path / "dest"
    with Server(tmp_path) as srv:
        srv.default = {"any": True}
        res = cli("download", str(dest), "--base-url", srv.url + "/data", "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    heads = {p for m, p, _ in srv.log if m == "HEAD"}
    assert not [e for e in srv.log if e[0] != "HEAD"], "a dry run sends HEAD requests only"
    want = {f"/data/v4/{p}" for p in _v4_paths(V4_TISSUES)}
    assert len(want) == 432
    assert heads - want == set(), f"not documented: {sorted(heads - want)[:10]}"
    assert want - heads == set(), f"missing: {sorted(want - heads)[:10]}"
    assert "432 file(s)" in res.stdout
    assert not dest.exists()


def test_dry_run_of_one_tissue_and_of_a_study(tmp_path):
    """--tissue keeps release-wide files and only that tissue's per-tissue ones; --study Eye is
    {base}/studies/Eye/ with the 12 files of release-format 10."""
    with Server(tmp_path) as srv:
        srv.default = {"any": True}
        res = cli("download", str(tmp_path / "d"), "--base-url", srv.url, "--dry-run",
                  "--tissue", "bla")
        assert res.returncode == 0, res.stderr
        heads = {p for m, p, _ in srv.log if m == "HEAD"}
        assert heads == {f"/v4/{p}" for p in _v4_paths(["BLA"])}
        srv.log.clear()
        res = cli("download", str(tmp_path / "d"), "--base-url", srv.url, "--dry-run",
                  "--study", "Eye")
        assert res.returncode == 0, res.stderr
    eye = {"eyes.vcf.gz", "covar.txt", "Eye.cis_qtl.txt.gz", "Eye.cis_independent_qtl.txt.gz",
           "Eye.cis_qtl_signif.txt.gz", "Eye.aFC.txt", "Eye.top_assoc.txt", "Eye.top_eQTLs.txt",
           *(f"Eye.expr.{u}.bed.gz" for u in ("log2", "tpm", "iqn", "iqn.filtered"))}
    assert {p for m, p, _ in srv.log if m == "HEAD"} == {f"/studies/Eye/{f}" for f in eye}
    assert not (tmp_path / "d").exists()


def test_dry_run_and_download_agree_on_unpublished_files(tiny_release, tmp_path):
    """--dry-run should predict the run: the unlinked kinds a real server lacks (the HTML
    fragments, the .tbi) are 'unpublished' and exit 0 in a download, so the dry run must not
    call them 'failed' and exit 1."""
    with Server(tiny_release / "data") as srv:
        plan = cli("download", str(tmp_path / "d"), "--base-url", srv.url, "--tissue", "BLA",
                   "--dry-run")
        real = cli("download", str(tmp_path / "d"), "--base-url", srv.url, "--tissue", "BLA")
    assert real.returncode == 0, real.stderr
    assert "unpublished" in real.stdout
    assert plan.returncode == real.returncode, (
        f"dry run exit {plan.returncode}, download exit {real.returncode}: {plan.stderr}")
    assert not re.search(r"^failed ref/rats\.v4\.html", plan.stderr, re.M), plan.stderr


def test_kind_outside_the_downloadable_tree_is_not_an_empty_success(tmp_path):
    """release-format 1.2: 'the /predict/ page links ... data/predict/pred-round11_2-{tissue}-
    {modality}.tsv.gz and data/predict/phenotype_stats.tsv.gz'; --kind takes 'registry names'
    and 'predictions' is one. Either those files are fetched, or the run says it cannot: exit
    0 with nothing fetched is an empty success."""
    pred = tmp_path / "data" / "predict"
    pred.mkdir(parents=True)
    (pred / "pred-round11_2-BLA-expression.tsv.gz").write_bytes(gzip.compress(b"a\tb\n1\t2\n"))
    (pred / "phenotype_stats.tsv.gz").write_bytes(gzip.compress(b"tissue\tmodality\n"))
    dest = tmp_path / "dest"
    with Server(tmp_path / "data") as srv:
        res = cli("download", str(dest), "--base-url", srv.url, "--kind",
                  "predictions,phenotype_stats", "--tissue", "BLA")
    fetched = _files(dest) if dest.exists() else set()
    fetched = {f for f in fetched if not f.endswith(".json")}
    assert fetched or res.returncode == 1, (
        f"exit {res.returncode}, nothing fetched, GETs {srv.gets()}, stderr {res.stderr!r}")


# --- atomicity, resume, skip ----------------------------------------------------------------


def test_kill_mid_download_leaves_only_a_part_file_and_rerun_resumes(slow_tree, tmp_path):
    """SIGKILL during a slow 4 MB file: never a file under its final name, no manifest entry,
    ingest of the tree ignores the .part; the rerun resumes with Range from the .part's size
    and completes byte-identical, recorded in the manifest."""
    root, big = slow_tree
    dest = tmp_path / "dest"
    final, part = dest / "v4" / BIG, dest / "v4" / (BIG + ".part")
    args = ("download", str(dest), "--kind", "gene,cis_qtl_signif", "--tissue", "BLA")
    with Server(root) as srv:
        srv.behave[f"/v4/{BIG}"] = {"rate": 1_000_000}
        proc = popen(*args, "--base-url", srv.url)
        try:
            _wait_for(part, 400_000, proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert not final.exists()
        assert part.exists() and 0 < part.stat().st_size < len(big)
        have = part.stat().st_size
        manifest = dest / "v4" / ".ratgtex-download.json"
        if manifest.exists():
            assert BIG not in json.loads(manifest.read_text())["files"]
        # the half tree ingests what is complete and never the .part
        db = tmp_path / "db"
        ing = cli("--db", str(db), "ingest", "--quiet", str(dest / "v4"))
        assert "Traceback" not in ing.stderr
        if (db / "catalog.duckdb").exists():
            con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
            paths = [r[0] for r in con.execute("SELECT path FROM ingested_files").fetchall()]
            con.close()
            assert not [p for p in paths if p.endswith(".part") or p.endswith(BIG)]
        srv.behave.clear()
        srv.log.clear()
        res = cli(*args, "--base-url", srv.url)
    assert res.returncode == 0, res.stderr
    assert [r for _, _, r in srv.gets(BIG)] == [f"bytes={have}-"]
    assert final.read_bytes() == big
    assert not part.exists()
    entry = json.loads(manifest.read_text())["files"][BIG]
    assert entry["bytes"] == len(big) and entry["sha256"] == _sha(big)


def test_ctrl_c_keeps_the_part_and_exits_without_a_traceback(slow_tree, tmp_path):
    """Ctrl-C mid-file: exit status non-zero (130), no traceback, the .part kept, no final."""
    root, big = slow_tree
    dest = tmp_path / "dest"
    with Server(root) as srv:
        srv.behave[f"/v4/{BIG}"] = {"rate": 1_000_000}
        proc = popen("download", str(dest), "--kind", "cis_qtl_signif", "--tissue", "BLA",
                     "--base-url", srv.url)
        _wait_for(dest / "v4" / (BIG + ".part"), 300_000, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode not in (0, None)
    assert "Traceback" not in err, err
    assert (dest / "v4" / (BIG + ".part")).exists()
    assert not (dest / "v4" / BIG).exists()


def test_dropped_connection_is_resumed_within_the_run(slow_tree, tmp_path):
    """The server announces the full length, sends 300 kB and closes: the same run resumes
    with a Range request and the file lands intact, exit 0."""
    root, big = slow_tree
    dest = tmp_path / "dest"
    with Server(root) as srv:
        srv.behave[f"/v4/{BIG}"] = {"drop_once": 300_000}
        res = cli("download", str(dest), "--kind", "cis_qtl_signif", "--tissue", "BLA",
                  "--base-url", srv.url)
    assert res.returncode == 0, res.stderr
    ranges = [r for _, _, r in srv.gets(BIG)]
    assert ranges[0] is None and len(ranges) == 2 and ranges[1].startswith("bytes=")
    assert int(ranges[1][6:-1]) > 0
    assert (dest / "v4" / BIG).read_bytes() == big


def test_two_downloads_into_one_folder_never_corrupt_a_file(tmp_path):
    """Two `download` runs into the same DEST (a second terminal, or `ingest URL` beside a
    download) must not share one .part: the file under its final name is the server's bytes
    (or one run refuses with a message). Here run A has 200 kB of gene.v4.tsv when run B starts
    and resumes A's .part (appending); A then finishes first and renames it: B keeps appending
    to the renamed file, so a mangled file sits under the final name and A exits 0."""
    data = _gene_tsv(40_000)
    (tmp_path / "data" / "v4").mkdir(parents=True)
    (tmp_path / "data" / "v4" / GENE).write_bytes(data)
    dest = tmp_path / "dest"
    with Server(tmp_path / "data") as srv:
        srv.default = {"hold_at": 1 << 19, "range_rate": 1_600_000}  # the client reads 256 KiB
        args = ("download", str(dest), "--kind", "gene", "--base-url", srv.url)
        a = popen(*args)
        _wait_for(dest / "v4" / (GENE + ".part"), 1 << 19, a)
        b = popen(*args)
        _, err_b = b.communicate(timeout=60)
        srv.ranged.set()  # A goes on (if B refused rather than resumed, nothing released it)
        _, err_a = a.communicate(timeout=60)
    assert "Traceback" not in err_a + err_b
    assert {a.returncode, b.returncode} & {0}, (err_a, err_b)
    got = (dest / "v4" / GENE).read_bytes()
    assert len(got) == len(data) and got == data, (
        f"{GENE}: {len(got)} bytes on disk, the server's file has {len(data)}; "
        f"exit codes {a.returncode}/{b.returncode}; {err_b.strip()[:200]}")


def test_rerun_fetches_nothing_and_manifest_records_each_file(tiny_release, tmp_path):
    """--help: 'complete files are recorded in DEST/VERSION/.ratgtex-download.json and skipped
    on the next run'; each entry: URL, bytes, sha256 of the file on disk."""
    dest = tmp_path / "dest"
    with Server(tiny_release / "data") as srv:
        args = ("download", str(dest), "--base-url", srv.url, "--tissue", "pVTA", "--kind",
                "gene,rat_ids,cis_qtl_signif,cis_pvals,phenos,vcf")
        first = cli(*args)
        assert first.returncode == 0, first.stderr
        n_first = len(srv.gets())
        srv.log.clear()
        again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert srv.gets() == [], "an unchanged, recorded file is fetched again"
    assert "skipped" in again.stdout
    v4 = dest / "v4"
    # the synthetic tree's marker comes too (one more GET of the first run), unrecorded
    on_disk = _files(v4) - {".ratgtex-download.json", "SYNTHETIC_RELEASE.txt"}
    assert (v4 / "SYNTHETIC_RELEASE.txt").is_file()
    assert len(on_disk) == n_first - 1 == 1 + 1 + 6 + 1 + 12 + 1
    files = json.loads((v4 / ".ratgtex-download.json").read_text())["files"]
    assert set(files) == on_disk
    for rel, entry in files.items():
        body = (v4 / rel).read_bytes()
        assert body == (tiny_release / "data" / "v4" / rel).read_bytes()
        assert entry["bytes"] == len(body) and entry["sha256"] == _sha(body)
        assert entry["url"] == f"{srv.url}/v4/{rel}"


def test_verify_detects_a_corrupted_and_a_missing_file(tiny_release, tmp_path):
    """--verify 'Re-hash downloaded files against the local manifest (no network)': a flipped
    byte (same size) and a deleted file are reported, exit 1, no traceback."""
    dest = tmp_path / "dest"
    with Server(tiny_release / "data") as srv:
        res = cli("download", str(dest), "--base-url", srv.url, "--tissue", "BLA", "--kind",
                  "gene,rat_ids,cis_qtl_signif")
        assert res.returncode == 0, res.stderr
        ok = cli("download", str(dest), "--verify")
        assert ok.returncode == 0, ok.stderr
        v4 = dest / "v4"
        victim = v4 / SIGNIF_BLA.format(m="splicing")
        body = bytearray(victim.read_bytes())
        body[len(body) // 2] ^= 0xFF
        victim.write_bytes(bytes(body))
        (v4 / "rat_ids" / "rat_ids.BLA.v4.txt").unlink()
        srv.log.clear()
        bad = cli("download", str(dest), "--verify")
    assert srv.log == [], "--verify used the network"
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "cis_qtl_signif.BLA.splicing" in bad.stderr and "modified" in bad.stderr
    assert "rat_ids.BLA.v4.txt" in bad.stderr and "missing" in bad.stderr


def test_verify_of_a_folder_with_nothing_downloaded_is_not_a_success(tmp_path):
    """--verify of the wrong folder (DEST/v4 instead of DEST, or a typo) re-hashes nothing:
    that must not be an empty 'verified' success with exit 0."""
    dest = tmp_path / "dest"
    (dest / "v4").mkdir(parents=True)
    (dest / "v4" / GENE).write_bytes(_gene_tsv(3))
    res = cli("download", str(dest / "v4"), "--verify")
    assert res.returncode == 1, f"exit 0 with nothing verified: {res.stdout}"
    assert ".ratgtex-download.json" in res.stderr or "nothing" in res.stderr.lower()


# --- HTTP errors -----------------------------------------------------------------------------

#: Words of a message that tells the user what to do next.
WHAT_TO_DO = re.compile(r"check|try again|retry|later|rerun|run .*again|--base-url", re.I)


def test_404_for_one_file_names_the_url_and_the_others_download(tiny_release, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(tiny_release / "data" / "v4" / "rat_ids", root / "v4" / "rat_ids")
    shutil.copy(tiny_release / "data" / "v4" / GENE, root / "v4" / GENE)
    (root / "v4" / "rat_ids" / "rat_ids.BLA.v4.txt").unlink()
    dest = tmp_path / "dest"
    with Server(root) as srv:
        res = cli("download", str(dest), "--base-url", srv.url, "--kind", "gene,rat_ids",
                  "--tissue", "BLA,NAcc")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    line = [x for x in res.stderr.splitlines() if "rat_ids.BLA.v4.txt" in x]
    assert line and f"{srv.url}/v4/rat_ids/rat_ids.BLA.v4.txt" in line[0]
    assert "404" in line[0] and WHAT_TO_DO.search(line[0])
    assert _files(dest / "v4") == {GENE, "rat_ids/rat_ids.NAcc.v4.txt", ".ratgtex-download.json"}


@pytest.fixture(scope="module")
def persistent_failures(background):
    """A persistent HTTP 500 and a refused connection (each ~8 s of retries), started in the
    background at the first test of the module."""
    out = {}
    for key in ("500", "refused"):
        proc, url, dest = background[key]
        so, se = proc.communicate(timeout=120)
        out[key] = (proc.returncode, so, se, url, dest)
    return out


@pytest.mark.parametrize("case", ["500", "refused"])
def test_persistent_server_error_says_which_url_and_what_to_do(persistent_failures, case):
    """A failure is 'one line on stderr saying what to do' (README), exit 1, no traceback, no
    file under its final name. Today 500 / connection refused end with '... (gave up after 5
    attempts)': the URL, but no next step (try later, check that the server is up / --base-url)."""
    rc, out, err, url, dest = persistent_failures[case]
    assert rc == 1
    assert "Traceback" not in err
    assert not (dest / "v4" / GENE).exists()
    if case == "refused":  # refused for one file is refused for all: one line, at once
        host = url.split("//", 1)[1].split("/", 1)[0]
        (line,) = [x for x in err.splitlines() if x.strip()]
        assert host in line and "refused" in line and WHAT_TO_DO.search(line), line
        return
    line = [x for x in err.splitlines() if GENE in x]
    assert line and f"{url}/v4/{GENE}" in line[0], err
    assert WHAT_TO_DO.search(line[0].split(url + "/v4/" + GENE, 1)[1]), (
        f"no hint of what to do: {line[0]!r}")


def test_html_instead_of_gzip_is_refused_naming_the_url(tmp_path):
    """A server (or captive portal) answering an HTML page for a .gz: no file under its final
    name, exit 1, and the message should name the URL and say what to do (it names only the
    file: 'cis_qtl_signif...txt.gz: not a complete gzip file (Error -4 ...)')."""
    dest = tmp_path / "dest"
    with Server(tmp_path) as srv:
        srv.default = {"html": True}
        res = cli("download", str(dest), "--base-url", srv.url, "--kind", "cis_qtl_signif",
                  "--tissue", "BLA")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    if dest.exists():
        assert not [f for f in _files(dest) if f.endswith(".gz")]
    line = [x for x in res.stderr.splitlines() if "cis_qtl_signif.BLA.expression" in x]
    assert line
    assert f"{srv.url}/v4/{BIG}" in line[0], line[0]
    assert re.search(r"html|--base-url|re-?download|try again", line[0], re.I), line[0]


def test_html_instead_of_a_text_table_is_not_a_success(tmp_path):
    """The same HTML page for gene.v4.tsv / rat_ids (Content-Type text/html): the README
    promises a 'checked' download; today the page is saved as gene.v4.tsv, recorded in the
    manifest and the run exits 0. (--help only promises checks of gzip and zip files, so this
    is what a user would expect rather than a stated rule.)"""
    dest = tmp_path / "dest"
    with Server(tmp_path) as srv:
        srv.default = {"html": True}
        res = cli("download", str(dest), "--base-url", srv.url, "--kind", "gene,rat_ids",
                  "--tissue", "BLA")
    saved = (dest / "v4" / GENE).read_bytes() if (dest / "v4" / GENE).exists() else b""
    assert res.returncode == 1 and not saved.lstrip().lower().startswith(b"<!doctype html"), (
        f"exit {res.returncode}; {GENE} holds {saved[:40]!r}")


# --- ingest from a URL -----------------------------------------------------------------------


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        views = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'VIEW' AND table_schema = 'main'").fetchall()]
        return {v: con.execute(f'SELECT count(*) FROM "{v}"').fetchone()[0] for v in views}
    finally:
        con.close()


@pytest.fixture(scope="module")
def url_ingest(background):
    """`ingest URL --tissue BLA` (started in the background), then the same command again;
    the GETs of the second run, for files the server has."""
    proc, srv, db, args = background["url"]
    so, se = proc.communicate(timeout=300)
    first = subprocess.CompletedProcess(proc.args, proc.returncode, so, se)
    srv.log.clear()
    again = cli(*args)
    gets = [g for g in srv.gets() if (srv.root / g[1].lstrip("/")).is_file()]
    return db, first, again, gets


def test_ingest_url_gives_the_same_views_as_ingest_of_the_files(url_ingest, disk_db):
    """`ingest URL` ('download, then ingest, in one step') = `ingest TREE` of the same files."""
    db, first, _, _ = url_ingest
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    got, want = _counts(db), _counts(disk_db)
    assert got == want
    assert got["cis_qtl_signif"] > 0 and got["genotypes"] > 0 and got["gene_esnps"] > 0


def test_ingest_url_rerun_fetches_and_converts_nothing(url_ingest):
    db, _, again, gets = url_ingest
    assert again.returncode == 0, again.stderr
    assert gets == []
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM ingested_files").fetchone()[0]
    finally:
        con.close()
    assert n >= 50  # the BLA tree: release-wide files and BLA's
    assert not re.search(r"^\s*│\s*ingested\s", again.stdout, re.M), again.stdout


def test_ingest_url_manifest_matches_the_download_record(url_ingest):
    """architecture 1 'record: manifest row: source path, size, sha256': the ingested files are
    the downloaded ones, with the sizes and sha256 the download recorded."""
    db, _, _, _ = url_ingest
    down = db / "downloads" / "v4"
    files = json.loads((down / ".ratgtex-download.json").read_text())["files"]
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT path, bytes, sha256, status FROM ingested_files").fetchall()
    finally:
        con.close()
    by_rel = {Path(p).resolve().relative_to(down.resolve()).as_posix(): (b, s, st)
              for p, b, s, st in rows}
    assert set(by_rel) == set(files)
    for rel, entry in files.items():
        size, sha, status = by_rel[rel]
        assert size == entry["bytes"], rel
        if status == "ingested":  # skipped kinds (autocomplete, expr.tpm) are not hashed
            assert sha == entry["sha256"], rel


def test_ingest_url_keeps_the_synthetic_mark(url_ingest, disk_db):
    """README: synthetic data are 'marked as synthetic in the release tree
    (SYNTHETIC_RELEASE.txt) and in the manifest ... never to be read as results'. Served from a
    mirror and ingested by URL, the same synthetic files are recorded as real (synthetic =
    false): the marker is not fetched. Low severity (the portal has no marker), but the mark is
    lost exactly where a synthetic tree is passed around."""
    db, _, _, _ = url_ingest

    def marks(path: Path) -> set:
        con = duckdb.connect(str(path / "catalog.duckdb"), read_only=True)
        try:
            return {r[0] for r in con.execute(
                "SELECT DISTINCT synthetic FROM ingested_files").fetchall()}
        finally:
            con.close()

    assert marks(disk_db) == {True}
    assert marks(db) == {True}


@pytest.fixture(scope="module")
def version_folder_ingest(tiny_release, tmp_path_factory):
    """`ingest {server}/v4 --tissue BLA`: the URL of the version folder, as release-format 1.1
    writes the layout ('https://ratgtex.org/data/{version}/')."""
    db = tmp_path_factory.mktemp("vf_db") / "db"
    with Server(tiny_release / "data") as srv:
        res = cli("--db", str(db), "ingest", "--quiet", "--tissue", "BLA", srv.url + "/v4/")
    return db, res


def test_ingest_url_of_the_version_folder(version_folder_ingest):
    """A user pasting the version folder's URL gets that release (the documents write the
    layout as data/{version}/), or one clear line saying to give the data/ folder; today every
    file is fetched from .../v4/v4/... and 60 'download failed' lines are printed."""
    db, res = version_folder_ingest
    if res.returncode != 0:
        fails = [x for x in res.stderr.splitlines() if x.startswith("download failed")]
        assert len(fails) <= 1, f"{len(fails)} failure lines, first: {fails[:1]}"
    else:
        assert _counts(db)["cis_qtl_signif"] > 0


def test_ingest_url_errors_name_options_ingest_has(version_folder_ingest):
    """The 404 hint under `ingest URL` says 'check --version and --base-url', but `ingest` has
    no --base-url option (ingest --help): the hint should name the URL argument."""
    _, res = version_folder_ingest
    assert "--base-url" not in cli("ingest", "--help").stdout
    assert "--base-url" not in res.stderr, res.stderr.splitlines()[0]


# --- slow ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_download_of_a_200_mb_file_keeps_memory_flat(tmp_path):
    """A ~200 MB gzip streams to disk and is checked in chunks: the peak RSS of the process
    grows by far less than the file (compared with the same command on a tiny file)."""
    v4 = tmp_path / "data" / "v4"
    (v4 / "xqtl").mkdir(parents=True)
    (v4 / GENE).write_bytes(_gene_tsv(10))
    block = random.Random(5).randbytes(1 << 20)
    comp = zlib.compressobj(0, zlib.DEFLATED, 31)  # stored blocks: quick to make and check
    with open(v4 / BIG, "wb") as fh:
        for _ in range(200):
            fh.write(comp.compress(block))
        fh.write(comp.flush())
    size = (v4 / BIG).stat().st_size
    wrapper = ("import atexit, resource, sys\n"
               "atexit.register(lambda: sys.stderr.write('MAXRSS_KB %d\\n' % "
               "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
               "sys.argv[0] = 'ratgtex-db'\n"
               "from ratgtex_db.cli import main\nmain()\n")

    def peak(dest: str, kind: str) -> tuple[int, subprocess.CompletedProcess]:
        res = subprocess.run([sys.executable, "-c", wrapper, "download", str(tmp_path / dest),
                              "--base-url", srv.url, "--kind", kind, "-j", "1"],
                             capture_output=True, text=True, env=_env(), timeout=300)
        kb = int(re.search(r"MAXRSS_KB (\d+)", res.stderr).group(1))
        return kb * 1024, res

    with Server(tmp_path / "data") as srv:
        base, res0 = peak("small", "gene")
        big, res1 = peak("big", "cis_qtl_signif")
    assert res0.returncode == 0, res0.stderr
    assert (tmp_path / "big" / "v4" / BIG).stat().st_size == size
    assert big - base < 64 << 20, f"peak RSS {big >> 20} MiB vs {base >> 20} MiB for a tiny file"


@pytest.mark.slow
def test_connection_refused_for_a_whole_release_fails_quickly(tmp_path):
    """`download DEST --base-url URL` with nothing listening: like an unresolvable host ('stops
    the run at once'), a refused connection should end the run with one clear error, not retry
    each of the 432 files for ~7.5 s (about 13 minutes at -j 4)."""
    url = f"http://127.0.0.1:{_free_port()}"
    proc = popen("download", str(tmp_path / "d"), "--base-url", url)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        pytest.fail("still retrying after 60 s with nothing listening at " + url)
    assert proc.returncode == 1
    assert url in err and "Traceback" not in err
