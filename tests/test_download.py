"""download: a real HTTP server on 127.0.0.1 with Range support and injected faults."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
import socket
import struct
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ratgtex_db.cli import app
from ratgtex_db.download import (
    MANIFEST_NAME,
    check_file,
    download_release,
    select_files,
)
from ratgtex_db.errors import ConfigError, DownloadError

FAST = {"backoff": 0.001, "timeout": 5.0}
TISSUES = ["BLA", "Eye"]
KINDS = ["gene", "rat_ids", "median_expression", "gene_esnps", "vcf"]
MEDIAN = "expr/medianGeneExpression.v4.tsv.gz"
VCF = "geno/ratgtex_v4_round11_2.rn8.vcf.gz"
GENE = "gene.v4.tsv"
#: The 28-byte empty BGZF block that ends every BGZF file (SAM/BAM spec 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _release() -> dict[str, bytes]:
    """A small v4 tree (paths under data/v4/) in the registry's layout, in real containers."""
    rng = random.Random(7)
    rows = "".join(f"G{i}\t" + "\t".join(f"{rng.random():.6f}" for _ in range(6)) + "\n"
                   for i in range(6000))
    median = gzip.compress(("geneId\tBLA\tEye\tIL\tLHb\tNAcc\tOFC\n" + rows).encode(), mtime=0)
    vcf_text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tR1\n"
    vcf_lines = [f"chr1\t{100 + i}\tchr1:{100 + i}\tA\tG\t.\tPASS\t.\tGT\t0/1\n"
                 for i in range(300)]
    # BGZF: several gzip members, then the empty EOF member.
    members = [vcf_text] + ["".join(vcf_lines[i:i + 100]) for i in range(0, 300, 100)]
    vcf = b"".join(gzip.compress(m.encode(), mtime=0) for m in members) + BGZF_EOF
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        for gene in ("Grin2b", "Cd300lf"):
            zf.writestr(f"all_gene_esnps.v4/{gene}.txt",
                        "variantId\tpValue\tnes\tchromosome\tpos\ttissueSiteDetailId\n"
                        "chr1:100\t1e-8\t0.5\tchr1\t100\tBLA\n")
    return {
        GENE: b"geneId\tchromosome\tstart\tend\tstrand\ttss\tdescription\thasEqtl\n"
              b"Grin2b\tchr4\t1\t100\t+\t1\tglutamate receptor\tTrue\n",
        "rat_ids/rat_ids.BLA.v4.txt": b"00077E67B5\n000789972A\n",
        "rat_ids/rat_ids.Eye.v4.txt": b"933000320045751\n",
        MEDIAN: median,
        "eqtl/all_gene_esnps.v4.zip": zbuf.getvalue(),
        VCF: vcf,
    }


class ReleaseServer:
    """Serves ``files`` under ``/v4/``; ``faults[path]`` is a queue of one-shot misbehaviours.

    Faults: ``503``; ``drop:N`` (full Content-Length, N bytes, clean close); ``reset:N`` (N
    bytes, then a TCP reset); ``norange`` (answer a Range request with 200 and the whole body).
    ``short[path] = N``: every response claims the full length but the server only ever has the
    first N bytes (a truncated file on a broken mirror).
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = {f"/v4/{k}": v for k, v in files.items()}
        self.faults: dict[str, list[str]] = {}
        self.short: dict[str, int] = {}
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.release = self  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)

    def fault(self, rel: str, *actions: str) -> None:
        self.faults.setdefault(f"/v4/{rel}", []).extend(actions)

    def requests(self, rel: str, method: str = "GET") -> list[dict]:
        return [r for r in self.log if r["path"] == f"/v4/{rel}" and r["method"] == method]

    def gets(self) -> list[dict]:
        return [r for r in self.log if r["method"] == "GET"]


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        srv: ReleaseServer = self.server.release  # type: ignore[attr-defined]
        with srv.lock:
            queue = srv.faults.get(self.path) if not head else None
            fault = queue.pop(0) if queue else ""
        rng = self.headers.get("Range")
        entry = {"method": self.command, "path": self.path, "range": rng, "status": 0, "sent": 0}
        with srv.lock:
            srv.log.append(entry)
        data = srv.files.get(self.path)
        if data is None or fault == "503":
            entry["status"] = 404 if data is None else 503
            self.send_response(entry["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = 0
        if rng and fault != "norange":
            start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
            if start >= len(data):
                entry["status"] = 416
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        entry["status"] = 206 if start else 200
        self.send_response(entry["status"])
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if head:
            return
        body = data[start:]
        if self.path in srv.short:
            body = data[start:srv.short[self.path]]
        if fault.startswith(("drop:", "reset:")):
            body = body[: int(fault.split(":")[1])]
        entry["sent"] = len(body)  # before writing: the client may finish before we return
        self.wfile.write(body)
        self.wfile.flush()
        if fault.startswith("reset:"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        if fault or self.path in srv.short:
            self.close_connection = True


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture(scope="module")
def release() -> dict[str, bytes]:
    return _release()


@pytest.fixture
def server(release: dict[str, bytes]):
    srv = ReleaseServer(release)
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _run(server: ReleaseServer, dest: Path, **kw):
    args = {"tissues": TISSUES, "kinds": KINDS, "base_url": server.url, "jobs": 3, **FAST}
    args.update(kw)
    return download_release(dest, **args)


def _assert_tree(dest: Path, release: dict[str, bytes]) -> None:
    for rel, data in release.items():
        assert (dest / "v4" / rel).read_bytes() == data, rel
    assert not list((dest / "v4").rglob("*.part"))


def test_select_files_follow_the_registry(tmp_path):
    """URLs and local paths mirror {base}/{version}/{path}; tissue and kind filters apply."""
    files = select_files(tmp_path, "v4", ["bla", "Eye"], ["rat_ids", "gene"], "http://h/data/")
    assert [f.path for f in files] == [GENE, "rat_ids/rat_ids.BLA.v4.txt",
                                       "rat_ids/rat_ids.Eye.v4.txt"]
    assert files[1].url == "http://h/data/v4/rat_ids/rat_ids.BLA.v4.txt"
    assert files[1].dest == tmp_path / "v4" / "rat_ids" / "rat_ids.BLA.v4.txt"
    assert len(select_files(tmp_path)) == 432
    with pytest.raises(ConfigError, match="unknown file kind"):
        select_files(tmp_path, kinds=["nope"])
    with pytest.raises(ConfigError, match="unknown tissue 'Heart'"):
        select_files(tmp_path, tissues=["Heart"])
    with pytest.raises(ConfigError, match="base-url"):
        select_files(tmp_path, base_url="ratgtex.org/data")


def test_download_records_manifest_then_skips(server, release, tmp_path):
    """Every file lands as on the server, with a manifest; a rerun fetches nothing."""
    report = _run(server, tmp_path)
    assert [r.status for r in report.results] == ["downloaded"] * len(release)
    assert not report.failed
    _assert_tree(tmp_path, release)
    manifest = json.loads((tmp_path / "v4" / MANIFEST_NAME).read_text())["files"]
    for rel, data in release.items():
        assert manifest[rel]["bytes"] == len(data)
        assert manifest[rel]["sha256"] == hashlib.sha256(data).hexdigest()
        assert manifest[rel]["url"] == f"{server.url}/v4/{rel}"
    n = len(server.gets())
    again = _run(server, tmp_path)
    assert {r.status for r in again.results} == {"skipped"}
    assert len(server.gets()) == n


def test_dropped_connection_resumes_with_only_the_remainder(server, release, tmp_path):
    """A transfer cut after 50,000 bytes resumes with Range: the server sends only the rest."""
    size = len(release[MEDIAN])
    server.fault(MEDIAN, "drop:50000")
    report = _run(server, tmp_path, kinds=["median_expression"])
    assert report.results[0].status == "downloaded"
    assert report.results[0].resumed_from == 50000
    first, second = server.requests(MEDIAN)
    assert (first["range"], first["sent"]) == (None, 50000)
    assert (second["range"], second["status"]) == ("bytes=50000-", 206)
    assert second["sent"] == size - 50000
    _assert_tree(tmp_path, {MEDIAN: release[MEDIAN]})


def test_connection_reset_resumes(server, release, tmp_path):
    """A TCP reset mid-file is retried and the file resumed from what reached the disk."""
    server.fault(VCF, "reset:700")
    report = _run(server, tmp_path, kinds=["vcf"])
    assert report.results[0].status == "downloaded", report.results[0].message
    reqs = server.requests(VCF)
    assert len(reqs) == 2
    start = int(reqs[1]["range"].split("=")[1][:-1]) if reqs[1]["range"] else 0
    assert reqs[1]["sent"] == len(release[VCF]) - start
    _assert_tree(tmp_path, {VCF: release[VCF]})


def test_partial_file_from_an_earlier_run_is_resumed(server, release, tmp_path):
    """A .part left by an interrupted run is continued, not fetched again."""
    part = tmp_path / "v4" / (MEDIAN + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(release[MEDIAN][:1234])
    plan = _run(server, tmp_path, kinds=["median_expression"], dry_run=True)
    assert plan.results[0].message == "resume from byte 1234"
    report = _run(server, tmp_path, kinds=["median_expression"])
    assert report.results[0].resumed_from == 1234
    assert [r["range"] for r in server.requests(MEDIAN)] == ["bytes=1234-"]
    _assert_tree(tmp_path, {MEDIAN: release[MEDIAN]})


def test_server_ignoring_range_restarts_from_zero(server, release, tmp_path):
    """A 200 answer to a Range request replaces the partial file instead of appending."""
    server.fault(MEDIAN, "drop:3000", "norange")
    report = _run(server, tmp_path, kinds=["median_expression"])
    assert report.results[0].status == "downloaded"
    assert report.results[0].resumed_from == 0
    assert [r["status"] for r in server.requests(MEDIAN)] == [200, 200]
    _assert_tree(tmp_path, {MEDIAN: release[MEDIAN]})


def test_503_is_retried(server, release, tmp_path):
    """A 503 then a good answer downloads the file; the retry count is in the result."""
    server.fault(GENE, "503", "503")
    report = _run(server, tmp_path, kinds=["gene"])
    assert report.results[0].status == "downloaded"
    assert report.results[0].attempts == 3
    assert [r["status"] for r in server.requests(GENE)] == [503, 503, 200]


def test_persistent_503_fails_after_bounded_retries(server, tmp_path):
    """Retries are bounded: 1 + retries attempts, then a clear per-file failure."""
    server.fault(GENE, *["503"] * 10)
    report = _run(server, tmp_path, kinds=["gene"], retries=2)
    (res,) = report.failed
    assert res.status == "failed"
    assert re.search(r"HTTP 503 .*gave up after 3 attempts", res.message)
    assert len(server.requests(GENE)) == 3


def test_404_fails_one_file_and_the_others_download(server, release, tmp_path):
    """A missing file is a clear per-file error; the rest of the run completes."""
    report = _run(server, tmp_path, kinds=[*KINDS, "rats"])
    (bad,) = report.failed
    assert bad.path == "ref/RatGTEx_rats.v4.tsv"
    assert "not found (HTTP 404)" in bad.message
    assert len(server.requests("ref/RatGTEx_rats.v4.tsv")) == 1  # a 404 is not retried
    assert len(report.with_status("downloaded")) == len(release)
    _assert_tree(tmp_path, release)
    assert not (tmp_path / "v4" / "ref" / "RatGTEx_rats.v4.tsv").exists()


def test_404_of_a_kind_the_download_pages_do_not_link_is_not_a_failure(server, release,
                                                                        tmp_path):
    """tissue_info is produced but not linked (release-format 1.2): its 404 is 'unpublished'."""
    report = _run(server, tmp_path, kinds=[*KINDS, "tissue_info"])
    assert not report.failed
    (gone,) = report.with_status("unpublished")
    assert gone.path == "tissue_info.v4.tsv" and "not linked" in gone.message
    _assert_tree(tmp_path, release)


def test_truncated_body_on_a_broken_mirror_fails_clearly(server, release, tmp_path):
    """A body always shorter than its Content-Length is retried, then reported; no file kept."""
    server.short[f"/v4/{MEDIAN}"] = 10000
    report = _run(server, tmp_path, kinds=["median_expression"], retries=2)
    (res,) = report.failed
    assert "body shorter than Content-Length" in res.message
    assert f"of {len(release[MEDIAN])} bytes" in res.message
    assert not (tmp_path / "v4" / MEDIAN).exists()
    assert (tmp_path / "v4" / (MEDIAN + ".part")).stat().st_size == 10000  # kept for a resume


def test_corrupt_gzip_is_rejected(release, tmp_path):
    """A gzip whose bytes arrived complete but whose stream is broken never becomes the file."""
    broken = dict(release)
    broken[MEDIAN] = release[MEDIAN][:-100] + b"\0" * 100
    srv = ReleaseServer(broken)
    srv.thread.start()
    try:
        report = _run(srv, tmp_path, kinds=["median_expression"])
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
    (res,) = report.failed
    assert "not a complete gzip file" in res.message
    assert not (tmp_path / "v4" / MEDIAN).exists()
    assert not (tmp_path / "v4" / (MEDIAN + ".part")).exists()


def test_check_file_containers(release, tmp_path):
    """Multi-member BGZF and zero padding pass; truncation, garbage and bad zips do not."""
    cases = {
        "ok.vcf.gz": release[VCF],
        "padded.gz": gzip.compress(b"x\n") + b"\0" * 8,
        "dense.gz": gzip.compress(b"\0" * 5_000_000) + gzip.compress(b"y\n"),
        "ok.zip": release["eqtl/all_gene_esnps.v4.zip"],
        "ok.tsv": b"whatever",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert check_file(tmp_path / name) == hashlib.sha256(data).hexdigest()
    bad = {
        "cut.vcf.gz": (release[VCF][:-40], "ends before the end"),
        "garbage.gz": (gzip.compress(b"x\n") + b"junk", "not a complete gzip"),
        "empty.gz": (b"", "no gzip member"),
        "cut.zip": (release["eqtl/all_gene_esnps.v4.zip"][:-30], "not a complete zip"),
    }
    for name, (data, msg) in bad.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DownloadError, match=msg):
            check_file(tmp_path / name)


def test_verify_detects_modified_and_missing_files(server, release, tmp_path):
    """--verify re-hashes against the manifest without the network."""
    _run(server, tmp_path)
    n = len(server.log)
    target = tmp_path / "v4" / MEDIAN
    data = bytearray(target.read_bytes())
    data[100] ^= 0xFF  # same size: only the hash can tell
    target.write_bytes(bytes(data))
    (tmp_path / "v4" / GENE).unlink()
    report = _run(server, tmp_path, verify=True)
    status = {r.path: r.status for r in report.results}
    assert status[MEDIAN] == "modified"
    assert status[GENE] == "missing"
    assert {status[p] for p in release if p not in (MEDIAN, GENE)} == {"ok"}
    assert {r.path for r in report.failed} == {MEDIAN, GENE}
    assert len(server.log) == n
    # A plain rerun fetches the missing file again.
    again = _run(server, tmp_path)
    assert {r.path for r in again.with_status("downloaded")} == {GENE}


def test_dry_run_lists_sizes_and_writes_nothing(server, release, tmp_path):
    """--dry-run sends HEAD requests only and reports each size the server gives."""
    report = _run(server, tmp_path, kinds=[*KINDS, "tissue_info"], dry_run=True)
    sizes = {r.path: r.bytes for r in report.with_status("planned")}
    assert sizes == {rel: len(data) for rel, data in release.items()}
    # a 404 of a kind the download pages do not link: reported as the download reports it
    assert [r.path for r in report.with_status("unpublished")] == ["tissue_info.v4.tsv"]
    assert not report.failed
    assert not server.gets()
    assert not (tmp_path / "v4").exists()


def test_dry_run_with_verify_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot be combined"):
        download_release(tmp_path, dry_run=True, verify=True)


def test_progress_events(server, release, tmp_path):
    """The progress callback sees every byte and one end event per file."""
    events: list[tuple[str, dict]] = []
    lock = threading.Lock()

    def progress(event: str, info: dict) -> None:
        with lock:
            events.append((event, info))

    _run(server, tmp_path, progress=progress)
    assert events[0] == ("start", {"files": len(release)})
    assert sum(i["bytes"] for e, i in events if e == "advance") == sum(map(len, release.values()))
    assert sorted(i["path"] for e, i in events if e == "end") == sorted(release)


def test_cli_download(server, release, tmp_path):
    """The CLI downloads, prints a summary, and exits 1 when a file failed."""
    runner = CliRunner()
    args = ["download", str(tmp_path), "--base-url", server.url, "--tissue", "BLA,Eye",
            "--jobs", "2"]
    kinds = ["--kind", ",".join(KINDS[:3]), "--kind", ",".join(KINDS[3:])]
    res = runner.invoke(app, [*args, *kinds, "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "planned" in res.output and "rat_ids.BLA.v4.txt" in res.output
    assert not (tmp_path / "v4").exists()
    res = runner.invoke(app, [*args, *kinds])
    assert res.exit_code == 0, res.output
    assert "downloaded" in res.output
    _assert_tree(tmp_path, release)
    res = runner.invoke(app, [*args, *kinds, "--verify"])
    assert res.exit_code == 0, res.output
    assert "ok" in res.output
    res = runner.invoke(app, [*args, "--kind", "gene,rats"])
    assert res.exit_code == 1
    assert "skipped" in res.output
    assert "RatGTEx_rats.v4.tsv" in res.output and "HTTP 404" in res.output
    res = runner.invoke(app, [*args, "--kind", "genes"])
    assert res.exit_code == 1
    assert "unknown file kind(s) 'genes'" in res.output


def test_stale_partial_that_breaks_the_gzip_restarts_once(server, release, tmp_path):
    """A .part from another version of the file fails the check after resume: one fresh start."""
    part = tmp_path / "v4" / (MEDIAN + ".part")
    part.parent.mkdir(parents=True)
    stale = gzip.compress(b"an older file\n" * 50, mtime=0)[:40]
    part.write_bytes(stale)
    report = _run(server, tmp_path, kinds=["median_expression"])
    assert report.results[0].status == "downloaded", report.results[0].message
    assert [r["range"] for r in server.requests(MEDIAN)] == [f"bytes={len(stale)}-", None]
    _assert_tree(tmp_path, {MEDIAN: release[MEDIAN]})


def test_synthetic_release_downloads_byte_identical(tiny_v4, tmp_path):
    """Served from synth's tree, every registry file synth writes arrives intact and checked."""
    files = {p.relative_to(tiny_v4).as_posix(): p.read_bytes()
             for p in tiny_v4.rglob("*") if p.is_file()}
    srv = ReleaseServer(files)
    srv.thread.start()
    try:
        report = download_release(tmp_path, tissues=["BLA", "NAcc", "pVTA"], base_url=srv.url,
                                  jobs=4, **FAST)
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
    got = report.with_status("downloaded")
    assert len(got) > 100
    for r in got:
        assert (tmp_path / "v4" / r.path).read_bytes() == files[r.path]
    # Whatever synth does not write is a 404, reported per file.
    assert all("HTTP 404" in r.message and r.path not in files for r in report.failed)


def test_unresolvable_host_fails_at_once_naming_the_host(tmp_path):
    """A host name that does not resolve stops the whole run before any file, with one line
    naming the host (no retries per file: RFC 6761 reserves '.invalid' to never resolve)."""
    with pytest.raises(DownloadError, match=r"cannot resolve host 'no-such-host\.invalid'"):
        download_release(tmp_path, base_url="http://no-such-host.invalid/data", tissues=["BLA"],
                         retries=4, backoff=5.0)
    assert not (tmp_path / "v4").exists()
    res = CliRunner().invoke(app, ["download", str(tmp_path), "--base-url",
                                   "http://no-such-host.invalid/data", "--tissue", "BLA"])
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot resolve host "
                                                   "'no-such-host.invalid'"), res.stderr
    assert "--base-url" in lines[0]
