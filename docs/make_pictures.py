"""Draw the README's pictures from the demo release: `python docs/make_pictures.py [DB]`.

DB defaults to the demo database (`ratgtex-db demo` makes it). Every picture comes from the
same Python API the `ratgtex-db plot` commands call, so the README cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ratgtex_db
from ratgtex_db import plots
from ratgtex_db.paths import demo_db_dir

OUT = Path(__file__).resolve().parent / "img"


def main() -> None:
    db_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_db_dir()
    OUT.mkdir(exist_ok=True)
    with ratgtex_db.open(db_dir) as db:
        # the demo's strongest eGene, and its lead variant in the tissue where it is strongest
        gene, variant, tissue = db.sql(
            "SELECT gene_id, variant_id, tissue FROM top_assoc WHERE qval < 0.05 "
            "ORDER BY pval_nominal LIMIT 1").rows()[0]
        genes = db.sql("SELECT gene_id FROM median_expression GROUP BY gene_id "
                       "ORDER BY max(median_tpm) DESC LIMIT 12")["gene_id"].to_list()
        pictures = {
            "expression": plots.expression(db, gene),
            "locus": plots.locus(db, gene),
            "heatmap": plots.heatmap(db, genes, log=True),
            "genotype": plots.genotype(db, gene, variant, tissue),
            "sharing": plots.sharing(db),
        }
        for name, fig in pictures.items():
            print(plots.save(fig, OUT / f"{name}.png"))


if __name__ == "__main__":
    main()
