"""The gene index of the catalog: which committed objects of a pair table hold a gene.

A canned gene lookup (``assoc --gene``) over ``cis_qtl_signif`` would otherwise open every
partition file of the table (78 in a v4 release) although a gene has significant pairs in only
some of them; DuckDB's multi-file scan costs a fixed share per file opened, whatever the row
groups' statistics and bloom filters then skip. The index names the objects that hold each
gene, so the query passes the matching partitions as a hive filter and DuckDB never opens the
others (hive filters prune the file list before any file is read).

Two internal tables of ``_ratgtex`` (never seen by users; the public views do not read them):

- ``gene_index (table_name, file, gene_id)``: one row per distinct gene of each object;
- ``indexed_files (table_name, file)``: the objects the index has been built for.

``file`` is the object's path under ``.store`` as in ``lake_files``: the index follows the
catalog when the database directory is copied or moved. :func:`sync` (called by every commit,
in the same snapshot transaction as ``lake_files``) drops the rows of objects that are no longer
current and indexes the current ones that are not yet, so the index is never behind the
snapshot it is published in. A partition whose object is not indexed (a catalog written before
the index existed, an object of an older ingest) is always scanned: the index can only skip
files that it knows lack the gene.

Size: one row per (object, gene): at a real release ~78 files x a few thousand genes, a few
hundred thousand short rows (a few MB of catalog). Built from each new object's ``gene_id``
column (dictionary-encoded: read without inflating the other columns), and kept sorted by gene
but for a bounded tail of appended rows (``RESORT_SHARE``), so that a lookup reads one row
group of it, not all of it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

INTERNAL = "_ratgtex"

#: Tables with a gene index and the key column.
INDEXED: dict[str, str] = {"cis_qtl_signif": "gene_id"}

SQL = f"""
CREATE TABLE IF NOT EXISTS {INTERNAL}.gene_index (
    table_name VARCHAR, file VARCHAR, gene_id VARCHAR);
CREATE TABLE IF NOT EXISTS {INTERNAL}.indexed_files (table_name VARCHAR, file VARCHAR);
"""

#: Internal tables this module owns (a session over a copied directory re-exposes them).
TABLES = ("gene_index", "indexed_files")

#: ``meta`` key: rows appended to ``gene_index`` since it was last stored sorted.
UNSORTED_KEY = "gene_index_unsorted_rows"
#: ``gene_index`` is stored sorted by (table_name, gene_id), so that DuckDB's min/max per row
#: group leaves a lookup one group of the sorted part; rows of new objects are appended, and
#: the table is sorted again once the appended rows exceed this share of it (a lookup then
#: scans at most that share; the sorts of a whole release ingest add up to a few times the
#: final table). Measured on the release lake's index (225k rows) and on one 4x that size,
#: ~the real release's, p50 of ``partitions`` for one gene: unsorted 4.1 / 13.1 ms, sorted 2.8
#: / 3.1 ms; sorting 900k rows 0.4-0.7 s. Gene symbols (v4) prune; ids sharing their first
#: eight characters (Ensembl's, v1-v3) do not, as DuckDB keeps eight bytes of a string's
#: min/max.
RESORT_SHARE = 0.25


def sync(con: duckdb.DuckDBPyConnection, store: Path) -> None:
    """Bring the index of the snapshot being written (default database of ``con``) in line with
    its ``lake_files``: forget objects no longer current, index current ones not yet indexed
    (the objects are read from ``store``)."""
    con.execute(SQL)
    for table in ("gene_index", "indexed_files"):
        con.execute(f"DELETE FROM {INTERNAL}.{table} AS i WHERE NOT EXISTS ("
                    f"SELECT 1 FROM {INTERNAL}.lake_files AS f "
                    "WHERE f.table_name = i.table_name AND f.file = i.file)")
    tables = list(INDEXED)
    todo = con.execute(
        f"SELECT table_name, file FROM {INTERNAL}.lake_files AS f "
        "WHERE list_contains(?, table_name) AND NOT EXISTS ("
        f"SELECT 1 FROM {INTERNAL}.indexed_files AS i "
        "WHERE i.table_name = f.table_name AND i.file = f.file) ORDER BY 1, 2", [tables]
    ).fetchall()
    appended = 0
    for table, rel in todo:
        path = store / rel
        if not path.exists():  # not ours to guess: the partition stays unindexed (scanned)
            continue
        key = INDEXED[table]
        appended += con.execute(
            f'INSERT INTO {INTERNAL}.gene_index SELECT DISTINCT ?, ?, "{key}" '
            f'FROM read_parquet(?) WHERE "{key}" IS NOT NULL',
            [table, rel, str(path)]).fetchone()[0]
        con.execute(f"INSERT INTO {INTERNAL}.indexed_files VALUES (?, ?)", [table, rel])
    if appended:
        _keep_sorted(con, appended)


def _keep_sorted(con: duckdb.DuckDBPyConnection, appended: int) -> None:
    """Count ``appended`` rows into the unsorted tail; sort the table once the tail exceeds
    ``RESORT_SHARE`` of it."""
    row = con.execute(f"SELECT value FROM {INTERNAL}.meta WHERE key = ?",
                      [UNSORTED_KEY]).fetchone()
    unsorted = (int(row[0]) if row else 0) + appended
    total = con.execute(f"SELECT count(*) FROM {INTERNAL}.gene_index").fetchone()[0]
    if unsorted > RESORT_SHARE * total:
        con.execute(f"CREATE OR REPLACE TABLE {INTERNAL}.gene_index AS "
                    f"SELECT * FROM {INTERNAL}.gene_index ORDER BY table_name, gene_id, file")
        unsorted = 0
    con.execute(f"INSERT OR REPLACE INTO {INTERNAL}.meta VALUES (?, ?)",
                [UNSORTED_KEY, str(unsorted)])


def partitions(con: duckdb.DuckDBPyConnection, table: str, gene_ids: list[str],
               keys: tuple[str, ...]) -> list[str] | None:
    """The partitions of ``table`` that may hold any of ``gene_ids``, each as its ``keys``'
    hive values joined by ``/`` (e.g. ``BLA/expression`` for tissue, modality): every indexed
    object holding a gene plus every object not indexed. ``None`` when the catalog has no
    index for the table (then nothing may be skipped)."""
    if table not in INDEXED:
        return None
    try:
        rows = con.execute(
            f"SELECT f.partition FROM {INTERNAL}.lake_files AS f "
            "WHERE f.table_name = $t AND (f.file IN ("
            f"SELECT file FROM {INTERNAL}.gene_index "
            "WHERE table_name = $t AND list_contains($g, gene_id)) "
            f"OR f.file NOT IN (SELECT file FROM {INTERNAL}.indexed_files "
            "WHERE table_name = $t))", {"t": table, "g": list(gene_ids)}
        ).fetchall()
    except duckdb.CatalogException:  # a catalog written before the index existed
        return None
    out = []
    for (part,) in rows:
        values = dict(kv.split("=", 1) for kv in part.split("/")[1:] if "=" in kv)
        out.append("/".join(values.get(k, "") for k in keys))
    return sorted(set(out))
