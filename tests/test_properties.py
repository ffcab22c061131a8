"""Property-based: every number notation of the release reads back exactly; NA forms -> NULL."""

from __future__ import annotations

import gzip
import io
import math
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratgtex_db.ingest import convert
from ratgtex_db.registry import match

NAME = "cis_qtl_signif.BLA.expression.v4_rn8.txt.gz"
HEADER = ("phenotype_id\tvariant_id\ttss_distance\taf\tma_samples\tma_count\tpval_nominal\t"
          "slope\tslope_se\tpval_nominal_threshold\n")


def _pandas_g(x: float) -> str:
    return f"{x:g}"  # 1.23457e-08, 1e+06


def _readr(x: float) -> str:
    text = repr(x)  # shortest round trip, e.g. 1e-05 -> readr writes 1e-5
    if "e" in text:
        m, e = text.split("e")
        text = f"{m.rstrip('0').rstrip('.') if '.' in m else m}e{int(e)}"
    return text


def _r_write_table(x: float) -> str:
    return f"{x:.6g}"  # R's write.table: 6 significant digits, 1e-06


NOTATIONS = [_pandas_g, _readr, _r_write_table, lambda x: f"{x:.6f}", repr]
NA = ["", "NA", "nan", "NaN"]

values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-300, max_value=1e-4),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(values, st.sampled_from(range(len(NOTATIONS))),
                               st.one_of(st.none(), st.sampled_from(NA))),
                     min_size=1, max_size=20))
def test_numbers_in_every_notation_read_back_exactly(rows):
    texts, want = [], []
    for x, k, na in rows:
        if na is not None:
            texts.append(na)
            want.append(None)
        else:
            t = NOTATIONS[k](x)
            texts.append(t)
            want.append(float(t))  # exactly what the text says, whatever the dialect
    body = "".join(f"G\tchr1:{i + 1}\t0\t0.5\t1\t1\t{t}\t{t}\t0.1\t1e-05\n"
                   for i, t in enumerate(texts))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / NAME
        path.write_bytes(gzip.compress((HEADER + body).encode(), mtime=0))
        out = convert(str(path), match(NAME), str(Path(d) / "st"))
        table = pq.read_table(out.path_of("cis_qtl_signif"))
    got = table.column("pval_nominal").to_pylist()
    assert got == want
    assert table.column("slope").to_pylist() == want
    for g in got:
        assert g is None or math.isfinite(g)


def test_non_finite_numbers_become_null(tmp_path):
    body = "".join(f"G\tchr1:{i + 1}\t0\t0.5\t1\t1\t{t}\t0.1\t0.1\t1e-05\n"
                   for i, t in enumerate(["inf", "-inf", "Inf", "0.5"]))
    path = tmp_path / NAME
    path.write_bytes(gzip.compress((HEADER + body).encode(), mtime=0))
    out = convert(str(path), match(NAME), str(tmp_path / "st"))
    got = pq.read_table(out.path_of("cis_qtl_signif")).column("pval_nominal").to_pylist()
    assert got == [None, None, None, 0.5]


class _ShortReads(io.RawIOBase):
    """A stream whose reads return fewer bytes than asked, as a pipe or a decompressor may."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data, self._sizes, self._at = data, sizes or [1], 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        size = min(len(buf), self._sizes[self._at % len(self._sizes)])
        piece = self._data[:size]
        self._data = self._data[size:]
        self._at += 1
        buf[:len(piece)] = piece
        return len(piece)


class _ReadOnly:
    """A stream with ``read`` only (no ``readinto``)."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._stream.read(n)


@given(lines=st.lists(st.text(alphabet="ab\t1.", max_size=40), max_size=60),
       chunk=st.integers(min_value=1, max_value=64), final_newline=st.booleans(),
       sizes=st.lists(st.integers(min_value=1, max_value=70), max_size=5))
def test_text_is_cut_into_whole_lines_without_loss(lines, chunk, final_newline, sizes):
    """The parallel parse reads pieces that end at line ends and add up to the input, whatever
    the stream returns per read."""
    from ratgtex_db.readers import text

    data = "\n".join(lines).encode() + (b"\n" if final_newline and lines else b"")
    old = text.CHUNK_BYTES
    text.CHUNK_BYTES = chunk
    try:
        for stream in (io.BytesIO(data), _ShortReads(data, sizes), _ReadOnly(data)):
            pieces = [bytes(p) for p in text._chunks(stream)]
            assert b"".join(pieces) == data
            assert all(p.endswith(b"\n") for p in pieces[:-1])
            assert all(p for p in pieces)
    finally:
        text.CHUNK_BYTES = old
