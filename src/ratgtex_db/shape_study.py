"""Layouts of the study data archives that have no release counterpart (release-format 10).

- ``study_metadata``: the NAR sample-metadata CSV -> ``study_sample_metadata`` (the columns
  section 10 names, typed; the others as one JSON object per library);
- ``raw_matrix``: a gene x library matrix whose header holds the library ids only and whose
  rows start with the gene id (R row-name style) -> ``expression_raw``, each library id
  ``{rfid}_{region}`` split into the rat id and the study's tissue label.

Both share the text reader (declared delimiter, typed fast path, line-by-line diagnosis) and
the column steps of :mod:`ratgtex_db.shape`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from ratgtex_db.errors import FormatError, SchemaError
from ratgtex_db.readers.text import STREAM_ERRORS
from ratgtex_db.registry import FileKind
from ratgtex_db.release import STUDY_REGIONS
from ratgtex_db.shape import (
    Batches,
    Source,
    _coded,
    _melted,
    _reader,
    bind_header,
    check_names,
    check_required,
    conform,
    lines_from,
    melt_in_order,
    peek_header,
)
from ratgtex_db.tables import TABLES

QC_VALUES = {"pass": True, "reject": False}


def split_library(name: str, library: str, line: int, column: str) -> tuple[str, str]:
    """``{rfid}_{region}`` -> (rfid, tissue label); an unknown region is a FormatError."""
    rfid, sep, region = library.rpartition("_")
    if not sep or not rfid:
        raise FormatError(name, "", line=line, column=column,
                          expected="a library id {rfid}_{region}", found=library)
    if region not in STUDY_REGIONS:
        raise FormatError(name, "unknown brain region in the library id", line=line,
                          column=column,
                          expected=f"a region of {', '.join(STUDY_REGIONS)}", found=library)
    return rfid, STUDY_REGIONS[region]


def shape_metadata(src: Source, kind: FileKind, values: dict[str, str], lenient: bool
                   ) -> Batches:
    """The metadata CSV: declared columns typed, library -> rat id + tissue, the rest JSON."""
    table = TABLES[kind.tables[0]]
    header = peek_header(src, kind.delimiter)
    bound = bind_header(src.name, header, kind.columns, exact=False)
    rest = [c for c in header if c not in bound.rename]
    lib_col = bound.source_of("library")
    qc_col = bound.source_of("qc_pass")
    before = 0
    for cols, batch in _reader(lenient)(src.name, src.opener, bound.types,
                                        delimiter=kind.delimiter):
        n = batch.num_rows
        line_of = lines_from(src, before, delimiter=kind.delimiter)
        before += n
        idx = {c: i for i, c in enumerate(cols)}
        data = {bound.rename[c]: batch.column(idx[c]) for c in bound.fixed
                if bound.rename[c]}
        libraries = batch.column(idx[lib_col]).to_pylist()
        tissues = []
        for i, lib in enumerate(libraries):
            if lib is None:
                raise FormatError(src.name, "", line=line_of(i), column=lib_col,
                                  expected="a library id {rfid}_{region}", found="NA")
            try:
                tissues.append(split_library(src.name, lib, 0, lib_col)[1])
            except FormatError:  # again with its line (a re-read: only on the way out)
                split_library(src.name, lib, line_of(i), lib_col)
                raise
        data["tissue"] = pa.array(tissues, pa.string())
        qc = []
        for i, v in enumerate(batch.column(idx[qc_col]).to_pylist()):
            if v is not None and v not in QC_VALUES:
                raise FormatError(src.name, "", line=line_of(i), column=qc_col,
                                  expected="pass or reject", found=v)
            qc.append(None if v is None else QC_VALUES[v])
        data["qc_pass"] = pa.array(qc, pa.bool_())
        others = [batch.column(idx[c]).to_pylist() for c in rest]
        data["fields"] = pa.array(
            [json.dumps(dict(zip(rest, row, strict=True)), ensure_ascii=False)
             for row in zip(*others, strict=True)] if rest else [json.dumps({})] * n,
            pa.string())
        yield table.name, conform(table, data, n)


class _AfterHeader:
    """A stream whose first line (the header) reads as an empty line: the reader then parses
    the data lines under given column names while its line numbers stay those of the file."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._started = False
        self._newline = False  # the header's empty line, still to be read

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._newline = bool(self._stream.readline())

    def read(self, size: int = -1) -> bytes:
        """At most ``size`` bytes (all with -1), as a file's ``read``."""
        self._start()
        if self._newline and size != 0:
            self._newline = False
            return b"\n" + self._stream.read(size - 1 if size > 0 else size)
        return self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        self._start()
        if self._newline:
            self._newline = False
            return b"\n"
        return self._stream.readline(size)

    def close(self) -> None:
        self._stream.close()


def shape_raw_matrix(src: Source, kind: FileKind, values: dict[str, str], lenient: bool
                     ) -> Batches:
    """Gene x library matrix: header = library ids, each row = gene id + one value each."""
    table = TABLES[kind.tables[0]]
    header = peek_header(src, kind.delimiter)
    if header == [] or header[0] == "":
        raise SchemaError(
            f"{src.name}:1: the header starts with an empty field; expected library ids only "
            "(R row-name style: the rows start with the gene id, the header does not)")
    check_names(src.name, header, "library")
    rats, tissues = [], []
    for col in header:
        rfid, tissue = split_library(src.name, col, 1, col)
        rats.append(rfid)
        tissues.append(tissue)
    key = "\x00gene_id"  # a name no library id can have
    types: dict[str, pa.DataType] = {key: pa.string()}
    types.update({c: pa.float64() for c in header})

    def opener() -> BinaryIO:
        return _AfterHeader(src.opener())  # type: ignore[return-value]

    libraries = pa.array(header, pa.string())
    rat_ids = pa.array(rats, pa.string())
    tissue_ids = pa.array(tissues, pa.string())
    try:
        batches: Iterator = _reader(lenient)(src.name, opener, types, header=False,
                                             delimiter=kind.delimiter)

        read = [0]  # data rows before the batch at hand

        def ids_of(cols: list[str], batch: pa.RecordBatch) -> pa.Table:
            gene = batch.column(cols.index(key))
            check_required(src.name, [("gene id (first field)", gene)],
                           lines_from(src, read[0], delimiter=kind.delimiter))
            read[0] += batch.num_rows
            return pa.table({"gene_id": gene, "phenotype_id": gene})

        def rows_of(ids: pa.Table, mat: np.ndarray) -> pa.Table:
            value, row, which = _melted(mat)
            gene = ids.column("gene_id")
            data = {
                "phenotype_id": _coded(row, gene),
                "gene_id": _coded(row, gene),
                "tissue": _coded(which, tissue_ids),
                "rat_id": _coded(which, rat_ids),
                "library": _coded(which, libraries),
                "value": value,
            }
            return conform(table, data, len(value))

        yield from melt_in_order(table, batches, header, ids_of, rows_of, src.scratch)
    except FormatError as err:
        if "wrong number of fields" in str(err):
            raise FormatError(src.name, "wrong number of fields", line=err.line,
                              expected=f"the gene id and {len(header)} values (one per library "
                              "of the header)", found=err.found) from err
        raise
    except STREAM_ERRORS as err:  # pragma: no cover - the reader names broken streams
        raise FormatError(src.name, f"cannot read: {err}") from err


__all__ = ["shape_metadata", "shape_raw_matrix", "split_library"]
