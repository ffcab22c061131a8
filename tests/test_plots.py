"""Plots: the Figures hold what the queries return (asserted on the objects, not on pixels);
every command writes each format; bad input gives the query commands' errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ratgtex_db
from ratgtex_db.errors import ConfigError, QueryError, UnknownGene

MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}


@pytest.fixture(scope="module")
def db(tiny_db: Path):
    with ratgtex_db.open(tiny_db) as d:
        yield d


@pytest.fixture(scope="module")
def lead(db) -> tuple[str, str, str]:
    """The tiny release's strongest eGene: (gene, lead variant, tissue)."""
    return tuple(db.sql("SELECT gene_id, variant_id, tissue FROM top_assoc WHERE qval < 0.05 "
                        "ORDER BY pval_nominal, gene_id LIMIT 1").rows()[0])


def _colors(db) -> dict[str, str]:
    return {t: "#" + c for t, c in db.sql("SELECT tissue, color_hex FROM tissues").rows()}


def test_expression_has_one_violin_per_tissue_with_its_colour_and_rats(db, lead):
    from matplotlib.colors import to_hex

    gene = lead[0]
    fig = db.plot.expression(gene)
    ax = fig.axes[0]
    counts = dict(db.sql("SELECT tissue, count(value) FROM expression WHERE gene_id = ? "
                         "AND unit = 'tpm' GROUP BY 1 HAVING count(value) > 0", [gene]).rows())
    bodies = [c for c in ax.collections if c.get_label() in counts]
    assert sorted(b.get_label() for b in bodies) == sorted(counts)
    colors = _colors(db)
    for b in bodies:
        assert to_hex(b.get_facecolor()[0], keep_alpha=False) == colors[b.get_label()]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"{t}\n(n={counts[t]})" for t in colors if t in counts]  # tissue_info order
    from matplotlib.collections import PathCollection

    points = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
    assert points == sum(counts.values())
    assert ax.get_ylabel() == "TPM" and gene in ax.get_title()


def test_locus_draws_every_significant_pair_and_the_gene_model(db, lead):
    gene = lead[0]
    fig = db.plot.locus(gene)
    ax, model = fig.axes[0], fig.axes[1]
    pairs = db.assoc(gene=gene)
    assert len(ax.collections[0].get_offsets()) == pairs.height
    lanes = {f"{t} · {m}" for t, m in pairs.select("tissue", "modality").unique().rows()}
    assert {t.get_text() for t in ax.get_yticklabels()} == lanes
    exons = db.sql("SELECT count(*) FROM exons WHERE gene_id = ?", [gene]).rows()[0][0]
    assert len(model.patches) == exons
    assert "position on chr" in model.get_xlabel()


def test_heatmap_clusters_genes_and_tissues(db):
    genes = db.sql("SELECT gene_id FROM median_expression GROUP BY 1 ORDER BY 1 LIMIT 6"
                   )["gene_id"].to_list()
    fig = db.plot.heatmap(genes, log=True)
    heat = next(a for a in fig.axes if a.images)
    n_tissues = db.sql("SELECT count(DISTINCT tissue) FROM median_expression").rows()[0][0]
    assert heat.images[0].get_array().shape == (len(genes), n_tissues)
    assert sorted(t.get_text() for t in heat.get_yticklabels()) == sorted(genes)
    dendrograms = [a for a in fig.axes if a.collections and not a.images
                   and a.get_label() != "<colorbar>"]
    assert len(dendrograms) == 2


def test_genotype_splits_rats_by_dosage_with_counts_and_p(db, lead):
    gene, variant, tissue = lead
    fig = db.plot.genotype(gene, variant, tissue)
    rows = db.genotype_expression(gene, variant, tissue)
    called = rows.filter(rows["dosage"].is_not_null() & rows["normalized"].is_not_null())
    ax = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections) == called.height
    summary = db.genotype_expression_summary(gene, variant, tissue).row(0, named=True)
    assert f"{summary['pval_nominal']:.3g}" in fig._suptitle.get_text()
    assert f"n={summary['het']}" in " ".join(t.get_text() for t in ax.get_xticklabels())


def test_sharing_is_a_tissue_by_tissue_matrix_annotated(db):
    fig = db.plot.sharing()
    ax = fig.axes[0]
    n = db.sql("SELECT count(DISTINCT tissue) FROM top_assoc").rows()[0][0]
    assert ax.images[0].get_array().shape == (n, n)
    assert len(ax.texts) >= n  # the diagonal at least


def test_unknown_gene_and_empty_results_are_errors_not_pictures(db, lead):
    with pytest.raises(UnknownGene):
        db.plot.expression("NoSuchGene")
    quiet = db.sql("SELECT gene_id FROM genes WHERE gene_id NOT IN "
                   "(SELECT DISTINCT gene_id FROM cis_qtl_signif) ORDER BY 1 LIMIT 1").rows()[0][0]
    with pytest.raises(QueryError, match="nothing to draw"):
        db.plot.locus(quiet)
    with pytest.raises(QueryError):  # a variant the release does not have
        db.plot.genotype(lead[0], "chr1:1", lead[2])


@pytest.mark.slow  # ~9 s; tests/test_audit_queries.py writes each format by the CLI too
def test_each_command_and_each_format_on_the_command_line(tiny_db, lead, tmp_path):
    """Each plot command in its own process, the formats taken in turn so that every one is
    written by more than one command (the format is matplotlib's, whatever the command)."""
    gene, variant, tissue = lead
    commands = {
        "expression": ["expression", gene],
        "locus": ["locus", gene],
        "heatmap": ["heatmap", gene],
        "genotype": ["genotype", "--gene", gene, "--variant", variant, "--tissue", tissue],
        "sharing": ["sharing"],
        "expression-again": ["expression", gene, "--tissue", tissue],
    }
    formats = ["png", "svg", "pdf"]
    for i, (name, args) in enumerate(commands.items()):
        fmt = formats[i % len(formats)]
        out = tmp_path / f"{name}.{fmt}"
        got = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "plot",
                              *args, "-o", str(out)], capture_output=True, text=True)
        assert got.returncode == 0, (name, got.stderr)
        assert out.read_bytes()[:5].startswith(MAGIC[fmt]), name


def test_bad_output_and_unknown_gene_on_the_command_line(tiny_db, tmp_path):
    got = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "plot",
                          "sharing", "-o", str(tmp_path / "x.xlsx")], capture_output=True,
                         text=True)
    assert got.returncode == 1 and "unknown picture format 'xlsx'" in got.stderr
    assert "Traceback" not in got.stderr
    got = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "plot",
                          "expression", "NoSuchGene", "-o", str(tmp_path / "x.png")],
                         capture_output=True, text=True)
    assert got.returncode == 1 and "NoSuchGene" in got.stderr and "Traceback" not in got.stderr
    assert not (tmp_path / "x.png").exists()
    got = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "plot",
                          "sharing", "--dpi", "100000", "-o", str(tmp_path / "x.png")],
                         capture_output=True, text=True, timeout=120)  # not a bad_alloc
    assert got.returncode == 1 and "megapixels" in got.stderr and "Traceback" not in got.stderr
    with pytest.raises(ConfigError, match="does not exist"):
        from ratgtex_db.plots import check_output

        check_output(tmp_path / "missing" / "x.png")
