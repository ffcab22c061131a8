"""Pictures of the portal's gene page, drawn from the canned queries as matplotlib Figures.

Every function takes an open :class:`~ratgtex_db.database.Database` and returns a
:class:`matplotlib.figure.Figure` built without pyplot (no display, no global state; saving
uses the Agg canvas). Data come only through the database's query methods, so unknown genes,
variants and tissues raise the same errors, with suggestions, as the query commands; a query
that finds nothing raises :class:`~ratgtex_db.errors.QueryError` instead of drawing an empty
picture. Tissues are drawn in ``tissue_info`` order, in their ``color_hex`` colours.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ratgtex_db import inputs
from ratgtex_db.errors import ConfigError, QueryError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ratgtex_db.database import Database

#: Output formats chosen by the file extension.
FORMATS = ("png", "svg", "pdf")
#: Axis labels of the expression units.
UNIT_LABELS = {"tpm": "TPM", "log2": "log2(expected count + 1)"}
#: Markers of the genotype classes (ALT dosage).
DOSAGE_LABELS = {0: "REF/REF", 1: "REF/ALT", 2: "ALT/ALT"}


#: Pixels a picture may have (width x height x dpi^2): 100 megapixels, a 40 x 25 inch figure
#: at 100 dpi; matplotlib's renderer needs ~4 bytes a pixel and fails with bad_alloc far above.
MAX_PIXELS = 100_000_000


def _figure(width: float, height: float, dpi: int) -> Figure:
    """A figure of ``width`` x ``height`` inches at ``dpi``.

    Raises
    ------
    ConfigError : a size or dpi that is not positive, or a picture over ``MAX_PIXELS``.
    """
    from matplotlib.figure import Figure

    if not (width > 0 and height > 0 and dpi > 0):
        raise ConfigError(f"--width {width}, --height {height}, --dpi {dpi}: each must be > 0")
    pixels = width * height * dpi * dpi
    if pixels > MAX_PIXELS:
        raise ConfigError(f"--width {width} x --height {height} inches at --dpi {dpi} is "
                          f"{pixels / 1e6:,.0f} megapixels; at most {MAX_PIXELS / 1e6:,.0f}: "
                          "lower the size or the dpi")
    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def _tissue_colors(db: Database, version: str | None) -> dict[str, str]:
    """tissue -> '#rrggbb', in tissue_info order (the file's row order)."""
    v = db.resolve_version(version)
    rows = db.sql("SELECT tissue, color_hex FROM tissues WHERE version = ?", [v]).rows()
    return {t: f"#{c}" if c and not c.startswith("#") else (c or "#777777") for t, c in rows}


def _ordered(tissues: list[str], colors: dict[str, str]) -> list[str]:
    known = [t for t in colors if t in tissues]
    return known + sorted(t for t in tissues if t not in colors)


def check_output(path: str | Path, fmt: str | None = None) -> str:
    """The picture format of ``path`` (its extension, or ``fmt``).

    Raises
    ------
    ConfigError : an extension (or ``fmt``) other than png, svg, pdf; a missing folder.
    """
    path = Path(path)
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind not in FORMATS:
        raise ConfigError(f"-o {path}: unknown picture format {kind or '(none)'!r}; "
                          f"name the file .png, .svg or .pdf")
    if not path.parent.exists():
        raise ConfigError(f"-o {path}: folder {path.parent} does not exist")
    return kind


def save(fig: Figure, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``fig`` to ``path`` in the format its extension names (or ``fmt``), via a
    temporary file renamed into place (a reader never sees half a picture)."""
    import os

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = Path(path)
    kind = check_output(path, fmt)
    FigureCanvasAgg(fig)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fig.savefig(tmp, format=kind)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class Plots:
    """``db.plot``: the plot functions bound to one database (``db.plot.expression(gene)``),
    named as the ``ratgtex-db plot`` commands."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def expression(self, *args: Any, **kwargs: Any) -> Figure:
        return expression(self._db, *args, **kwargs)

    def locus(self, *args: Any, **kwargs: Any) -> Figure:
        return locus(self._db, *args, **kwargs)

    def heatmap(self, *args: Any, **kwargs: Any) -> Figure:
        return heatmap(self._db, *args, **kwargs)

    def genotype(self, *args: Any, **kwargs: Any) -> Figure:
        return genotype(self._db, *args, **kwargs)

    def sharing(self, *args: Any, **kwargs: Any) -> Figure:
        return sharing(self._db, *args, **kwargs)



# --- expression ------------------------------------------------------------------------------


def expression(db: Database, gene: str, tissue: str | list[str] | None = None,
               unit: str = "tpm", *, version: str | None = None, width: float = 10,
               height: float = 4.5, dpi: int = 100) -> Figure:
    """Per-rat expression of one gene in each tissue: violins with the rats as points.

    Parameters
    ----------
    gene : gene id or symbol.
    tissue : tissue id(s); default every tissue with values.
    unit : ``tpm`` or ``log2``.
    """
    import numpy as np

    unit = inputs.resolve_unit(unit, db.resolve_version(version))
    rows = db.expression(gene, tissue=tissue, unit=unit, samples=True, version=version)
    if rows.height == 0:
        raise QueryError(f"no expression values for {gene!r}"
                         + (f" in {tissue}" if tissue else "") + "; nothing to draw")
    gene_id = rows["gene_id"][0]
    colors = _tissue_colors(db, version)
    values: dict[str, Any] = {}
    for t, v in rows.select("tissue", "value").rows():
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            values.setdefault(t, []).append(v)
    tissues = _ordered(list(values), colors)
    fig = _figure(width, height, dpi)
    ax = fig.add_subplot()
    data = [np.asarray(values[t], dtype=float) for t in tissues]
    parts = ax.violinplot(data, positions=range(len(tissues)), showextrema=False, widths=0.8)
    rng = np.random.default_rng(0)
    for i, (t, body) in enumerate(zip(tissues, parts["bodies"], strict=True)):
        body.set_facecolor(colors.get(t, "#777777"))
        body.set_edgecolor("black")
        body.set_alpha(0.6)
        body.set_label(t)
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(data[i])), data[i], s=4, color="black",
                   alpha=0.5, linewidths=0, zorder=3)
        ax.hlines(float(np.median(data[i])), i - 0.3, i + 0.3, color="black", linewidth=1.5,
                  zorder=4)
    ax.set_xticks(range(len(tissues)),
                  [f"{t}\n(n={len(values[t])})" for t in tissues], fontsize=8)
    ax.set_xlabel("tissue (rats with a value)")
    ax.set_ylabel(UNIT_LABELS.get(unit, unit))
    ax.set_title(f"{gene_id}: expression per rat ({db.resolve_version(version)})")
    return fig


# --- locus -----------------------------------------------------------------------------------


def locus(db: Database, gene: str, modality: str | list[str] | None = None,
          tissue: str | list[str] | None = None, *, version: str | None = None,
          width: float = 11, height: float | None = None, dpi: int = 100) -> Figure:
    """Significant cis pairs of one gene across tissues and modalities over its locus, the
    independent QTLs marked, and the gene model from ``exons`` beneath.

    x: variant position; one row per tissue and modality; colour: slope; size: -log10 p.
    """
    import numpy as np
    from matplotlib import colors as mcolors

    pairs = db.assoc(gene=gene, tissue=tissue, modality=modality, version=version)
    if pairs.height == 0:
        raise QueryError(f"no significant cis pairs for {gene!r}"
                         + (f" in {tissue}" if tissue else "") + "; nothing to draw")
    gene_id = pairs["gene_id"][0]
    v = db.resolve_version(version)
    colors = _tissue_colors(db, version)
    info = db.gene(gene_id, version=version).select("chrom", "start", "end", "strand",
                                                     "tss").rows()[:1]
    exons = db.sql("SELECT start, \"end\" FROM exons WHERE version = ? AND gene_id = ? "
                   "ORDER BY start", [v, gene_id]).rows()
    indep = {(r[0], "expression", r[1]) for r in db.eqtls(gene=gene_id, version=version)
             .select("tissue", "variant_id").rows()}
    try:
        x = db.xqtls(gene=gene_id, modality=modality, version=version)
        indep |= {tuple(r) for r in x.select("tissue", "modality", "variant_id").rows()}
    except QueryError:
        pass
    lanes = sorted({(t, m) for t, m in pairs.select("tissue", "modality").rows()},
                   key=lambda tm: (_ordered([tm[0]] + list(colors), colors).index(tm[0])
                                   if tm[0] in colors else 999, tm[1]))
    lane = {tm: i for i, tm in enumerate(lanes)}
    height = height or max(4.0, 1.6 + 0.35 * len(lanes))
    fig = _figure(width, height, dpi)
    grid = fig.add_gridspec(2, 1, height_ratios=[max(3, len(lanes)), 1])
    ax = fig.add_subplot(grid[0])
    model = fig.add_subplot(grid[1], sharex=ax)
    pos = np.asarray(pairs["pos"].to_list(), dtype=float)
    slope = np.asarray(pairs["slope"].fill_null(0).to_list(), dtype=float)
    p = np.asarray(pairs["pval_nominal"].to_list(), dtype=float)
    y = np.asarray([lane[(t, m)] for t, m in pairs.select("tissue", "modality").rows()])
    logp = -np.log10(np.clip(p, 1e-300, 1))
    size = 6 + 60 * logp / max(float(logp.max()), 1.0)
    lim = max(float(np.abs(slope).max()), 1e-9)
    sc = ax.scatter(pos, y, c=slope, s=size, cmap="coolwarm",
                    norm=mcolors.TwoSlopeNorm(0, -lim, lim), edgecolors="none", alpha=0.8)
    marked = [i for i, (t, m, vid) in enumerate(pairs.select("tissue", "modality", "variant_id")
                                                 .rows()) if (t, m, vid) in indep]
    if marked:
        ax.scatter(pos[marked], y[marked], s=size[marked] + 40, facecolors="none",
                   edgecolors="black", linewidths=1.2, label="independent QTL")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_yticks(range(len(lanes)), [f"{t} · {m}" for t, m in lanes], fontsize=8)
    for tick, (t, _m) in zip(ax.get_yticklabels(), lanes, strict=True):
        tick.set_color(colors.get(t, "black"))
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    ax.set_ylabel("tissue · modality")
    ax.set_title(f"{gene_id}: significant cis pairs by tissue and modality ({v}); "
                 "size: -log10 p")
    cbar = fig.colorbar(sc, ax=ax, pad=0.01)
    cbar.set_label("slope")
    if info:
        chrom, start, end, strand, tss = info[0]
        ax.axvline(tss, color="grey", linestyle="--", linewidth=1)
        model.hlines(0, start, end, color="black", linewidth=1)
        for s, e in exons:
            model.add_patch(_rect(s, e))
        model.axvline(tss, color="grey", linestyle="--", linewidth=1)
        model.annotate("TSS", (tss, 0.6), ha="center", fontsize=8, color="grey")
        model.set_xlabel(f"position on {chrom} (bp); gene on the {strand} strand")
        model.text(end if strand == "+" else start, -0.75, f"{gene_id} ({strand})",
                   ha="right" if strand == "+" else "left", fontsize=8)
    model.set_ylim(-1, 1)
    model.set_yticks([])
    model.set_ylabel("gene", fontsize=8)
    return fig


def _rect(start: int, end: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((start, -0.4), max(end - start, 1), 0.8, color="#444444")


# --- heatmap ---------------------------------------------------------------------------------


def heatmap(db: Database, genes: list[str] | str, tissue: str | list[str] | None = None,
            log: bool = False, *, version: str | None = None, width: float = 9,
            height: float | None = None, dpi: int = 100) -> Figure:
    """Median TPM of genes x tissues, both ordered by average-linkage clustering (Euclidean,
    optimal leaf order, as the portal) with their dendrograms.

    Parameters
    ----------
    genes : gene ids or symbols (unknown ones warn, as in the query commands).
    log : colour by log10(median TPM + 1).
    """
    import matplotlib
    import numpy as np
    from scipy.cluster import hierarchy

    v = db.resolve_version(version)
    colors = _tissue_colors(db, version)
    status = db.gene(genes, tissue=tissue, version=version)  # the gene query's median_tpm
    rows = [r for r in status.select("gene_id", "tissue", "median_tpm").rows()
            if r[2] is not None]
    if not rows:
        raise QueryError("no median expression for these genes; nothing to draw")
    gene_order = list(dict.fromkeys(r[0] for r in rows))
    tissue_order = _ordered(sorted({r[1] for r in rows}), colors)
    m = np.full((len(gene_order), len(tissue_order)), np.nan)
    gi = {g: i for i, g in enumerate(gene_order)}
    ti = {t: j for j, t in enumerate(tissue_order)}
    for g, t, x in rows:
        m[gi[g], ti[t]] = np.nan if x is None else x
    # a gene without a median in a tissue (release-format 3.7: NA) stays a blank cell; only
    # the clustering needs a number for it
    values = np.log10(m + 1) if log else m
    filled = np.nan_to_num(values)
    height = height or max(3.5, 2.2 + 0.3 * len(gene_order))
    fig = _figure(width, height, dpi)
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 5], height_ratios=[1, 5])
    ax = fig.add_subplot(grid[1, 1])
    top = fig.add_subplot(grid[0, 1])
    left = fig.add_subplot(grid[1, 0])
    rows_idx, cols_idx = list(range(len(gene_order))), list(range(len(tissue_order)))
    for data, axis, orient, idx_name in ((filled, left, "left", "rows"),
                                         (filled.T, top, "top", "cols")):
        if data.shape[0] >= 2:
            z = hierarchy.linkage(data, method="average", metric="euclidean",
                                  optimal_ordering=True)
            d = hierarchy.dendrogram(z, ax=axis, orientation=orient, no_labels=True,
                                     color_threshold=0, above_threshold_color="black")
            if idx_name == "rows":
                rows_idx = d["leaves"]
            else:
                cols_idx = d["leaves"]
        axis.set_axis_off()
    shown = values[np.ix_(rows_idx, cols_idx)]
    # dendrogram("left") draws its first leaf at the bottom: flip so rows match the leaves
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(shown[::-1] if len(rows_idx) >= 2 else shown),
                   aspect="auto", cmap=cmap)
    labels_y = [gene_order[i] for i in rows_idx]
    ax.set_yticks(range(len(labels_y)), labels_y[::-1] if len(rows_idx) >= 2 else labels_y,
                  fontsize=8)
    labels_x = [tissue_order[j] for j in cols_idx]
    ax.set_xticks(range(len(labels_x)), labels_x, rotation=60, ha="right", fontsize=8)
    for tick, t in zip(ax.get_xticklabels(), labels_x, strict=True):
        tick.set_color(colors.get(t, "black"))
    ax.set_xlabel("tissue")
    ax.set_ylabel("gene")
    cbar = fig.colorbar(im, ax=ax, pad=0.01)
    cbar.set_label("log10(median TPM + 1)" if log else "median TPM")
    top.set_title(f"Median expression, clustered (average linkage) ({v})")
    return fig


# --- genotype --------------------------------------------------------------------------------


def genotype(db: Database, gene: str, variant: str, tissue: str, *,
             version: str | None = None, width: float = 9, height: float = 4.5,
             dpi: int = 100) -> Figure:
    """Normalized expression and TPM of a gene by ALT dosage (0/1/2) at a variant in a
    tissue, with counts; the nominal p-value and the gene's threshold in the title."""
    import numpy as np

    rows = db.genotype_expression(gene, variant, tissue, version=version)
    summary = db.genotype_expression_summary(gene, variant, tissue, version=version)
    called = rows.filter(rows["dosage"].is_not_null())
    if called.height == 0:
        raise QueryError(f"no rat of {tissue} has a genotype call at {variant}; nothing to draw")
    s = summary.row(0, named=True)
    colors = _tissue_colors(db, version)
    color = colors.get(s["tissue"], "#777777")
    panels = (("normalized", "normalized expression"), ("tpm", "TPM"))
    groups_of = {col: [[x for dd, x in called.select("dosage", col).rows()
                        if dd == d and x is not None] for d in (0, 1, 2)]
                 for col, _label in panels}
    if not any(any(groups) for groups in groups_of.values()):
        raise QueryError(f"{s['gene_id']} has no expression value in {s['tissue']} for the "
                         f"rats called at {s['variant_id']}; nothing to draw")
    fig = _figure(width, height, dpi)
    rng = np.random.default_rng(0)
    for k, (col, label) in enumerate(panels):
        ax = fig.add_subplot(1, 2, k + 1)
        groups = groups_of[col]
        ticks = [f"{DOSAGE_LABELS[d]}\n({s['ref']}/{s['alt']}: {d} ALT)\nn={len(groups[d])}"
                 for d in (0, 1, 2)]
        nonempty = [i for i, g in enumerate(groups) if g]
        if nonempty:  # a panel without values (e.g. a gene the normalized BED dropped) is empty
            ax.boxplot([groups[i] for i in nonempty], positions=nonempty, widths=0.5,
                       showfliers=False, patch_artist=True,
                       boxprops={"facecolor": color, "alpha": 0.5})
        else:
            ax.text(0.5, 0.5, f"no {label} values", transform=ax.transAxes, ha="center",
                    va="center", color="#777777")
        for i in nonempty:
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(groups[i])), groups[i], s=6,
                       color="black", alpha=0.6, linewidths=0, zorder=3)
        ax.set_xticks([0, 1, 2], ticks, fontsize=8)
        ax.set_xlim(-0.6, 2.6)
        ax.set_xlabel(f"genotype at {s['variant_id']}")
        ax.set_ylabel(label)
    p, thr = s.get("pval_nominal"), s.get("pval_nominal_threshold")
    fig.suptitle(f"{s['gene_id']} by genotype at {s['variant_id']} in {s['tissue']}\n"
                 f"nominal p = {_num(p)}, threshold = {_num(thr)}, "
                 f"ALT frequency = {_num(s['alt_freq'])}")
    return fig


def _num(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


# --- sharing ---------------------------------------------------------------------------------


def sharing(db: Database, modality: str = "expression", tissue: str | list[str] | None = None,
            *, version: str | None = None, width: float = 8, height: float = 7,
            dpi: int = 100) -> Figure:
    """Tissue x tissue eGene Jaccard index, annotated with the values."""
    import numpy as np

    rows = db.sharing(modality=modality, tissue=tissue, version=version)
    if rows.height == 0:
        raise QueryError(f"no eGenes of modality {modality!r} to compare; nothing to draw")
    colors = _tissue_colors(db, version)
    tissues = _ordered(sorted(set(rows["tissue1"].to_list()) | set(rows["tissue2"].to_list())),
                       colors)
    idx = {t: i for i, t in enumerate(tissues)}
    m = np.full((len(tissues), len(tissues)), np.nan)
    np.fill_diagonal(m, 1.0)
    for t1, t2, j in rows.select("tissue1", "tissue2", "jaccard").rows():
        m[idx[t1], idx[t2]] = np.nan if j is None else j
    fig = _figure(width, height, dpi)
    ax = fig.add_subplot()
    im = ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
    for i in range(len(tissues)):
        for j in range(len(tissues)):
            if not np.isnan(m[i, j]):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(tissues)), tissues, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(tissues)), tissues, fontsize=8)
    for tick, t in zip(ax.get_xticklabels(), tissues, strict=True):
        tick.set_color(colors.get(t, "black"))
    for tick, t in zip(ax.get_yticklabels(), tissues, strict=True):
        tick.set_color(colors.get(t, "black"))
    ax.set_title(f"eGene sharing ({modality}): Jaccard index of eGene sets "
                 f"({db.resolve_version(version)})")
    cbar = fig.colorbar(im, ax=ax, pad=0.01)
    cbar.set_label("Jaccard index (genes tested in both tissues)")
    return fig


for _name in ("expression", "locus", "heatmap", "genotype", "sharing"):
    getattr(Plots, _name).__doc__ = globals()[_name].__doc__
