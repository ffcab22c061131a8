"""What the study sources cost the release views: each view as it was before the studies
(its body inlined) against the view with the study branch, in one run on one database.

    python bench/study_views.py DB_DIR        # e.g. an ingested `synth --scale small` v4 tree

The expression view gained a branch for the study matrices (expression_raw); a top_assoc
fallback for study_cis_qtl was measured here too and left out (README "Study data archives").
Interleaved runs; min and median of N, and the after/before ratio of the medians.
"""

from __future__ import annotations

import argparse
import statistics
import time

import ratgtex_db

EXPRESSION_BEFORE = """(SELECT * FROM _ratgtex.lake_expression UNION ALL BY NAME
SELECT p.version, p.tissue, 'tpm' AS unit, p.phenotype_id, p.gene_id, p.chrom, p.tss, p.rat_id,
       p.value
FROM _ratgtex.lake_phenotypes AS p WHERE p.modality = 'expression' AND NOT p.normalized
  AND NOT EXISTS (SELECT 1 FROM _ratgtex.lake_expression AS e
                  WHERE e.unit = 'tpm' AND e.version = p.version AND e.tissue = p.tissue))"""

CIS = """SELECT c.version, c.tissue, c.gene_id, c.num_var, c.variant_id, c.chrom, c.pos,
       CAST(NULL AS VARCHAR) AS ref, CAST(NULL AS VARCHAR) AS alt, c.af, c.tss_distance,
       c.pval_nominal, c.slope, c.slope_se, c.pval_beta, c.qval, c.pval_nominal_threshold
FROM _ratgtex.lake_study_cis_qtl AS c"""
TOP_ASSOC_WITH_FALLBACK = (f"(SELECT * FROM _ratgtex.lake_top_assoc UNION ALL BY NAME {CIS} "
                           "WHERE NOT EXISTS (SELECT 1 FROM _ratgtex.lake_top_assoc AS t "
                           "WHERE t.version = c.version))")

CASES = {
    "expression, one gene, tpm": (
        "SELECT tissue, median(value) FROM {} WHERE version = ? AND unit = 'tpm' "
        "AND gene_id = ? GROUP BY ALL", EXPRESSION_BEFORE, "expression"),
    "expression, one gene, log2": (
        "SELECT tissue, median(value) FROM {} WHERE version = ? AND unit = 'log2' "
        "AND gene_id = ? GROUP BY ALL", EXPRESSION_BEFORE, "expression"),
    "top_assoc eGenes per tissue (fallback, not shipped)": (
        "SELECT tissue, count(*) FROM {} WHERE version = ? AND qval < 0.05 AND gene_id <> ? "
        "GROUP BY ALL", "top_assoc", TOP_ASSOC_WITH_FALLBACK),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("-n", type=int, default=40)
    args = parser.parse_args()
    db = ratgtex_db.open(args.db)
    con = db.connection
    version = db.version
    gene = con.execute("SELECT gene_id FROM top_assoc WHERE version = ? ORDER BY gene_id "
                       "LIMIT 1 OFFSET 40", [version]).fetchone()[0]
    for name, (sql, before, after) in CASES.items():
        times: dict[str, list[float]] = {"before": [], "after": []}
        outs = {}
        for _ in range(args.n):
            for label, src in (("before", before), ("after", after)):
                t = time.perf_counter()
                outs[label] = con.execute(sql.format(src), [version, gene]).fetchall()
                times[label].append(time.perf_counter() - t)
        assert sorted(outs["before"]) == sorted(outs["after"]), name
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        print(f"{name:52s} before min {min(times['before']) * 1000:7.2f} median "
              f"{med['before']:7.2f} ms | after min {min(times['after']) * 1000:7.2f} median "
              f"{med['after']:7.2f} ms | ratio {med['after'] / med['before']:.2f}")


if __name__ == "__main__":
    main()
