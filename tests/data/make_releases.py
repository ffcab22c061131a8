"""Build the compressed test release files from their hand-written plain-text sources.

Every file under ``tests/data/release_text/<tree>/`` is a readable source; this script writes
``tests/data/<tree>/...`` from it, deterministically (gzip mtime 0, fixed zip timestamps):

- a folder whose name ends in ``.zip`` becomes that zip; its files are the members, named by
  their path inside the folder (``singleTissueEqtl.v3.zip/singleTissueEqtl.v3/Gad1.txt`` ->
  member ``singleTissueEqtl.v3/Gad1.txt``);
- any other file is gzipped to the same relative path plus ``.gz``
  (``expr/expr.tpm.BLA.v1_rn6.bed`` -> ``expr/expr.tpm.BLA.v1_rn6.bed.gz``).

Files that ship uncompressed in a release (``gene.v1.txt``, ``top_assoc.v1_rn6.txt``, ...) are
written by hand straight into ``tests/data/<tree>/`` and are not touched here. The sources were
written from /work/shared/release-format.md (sections 1.1, 2, 5.1, 5.2, 7), not with synth.py.

Run: ``python tests/data/make_releases.py`` (re-run after editing a source; commit both).
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "release_text"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def targets(sources: Path = SOURCES, out: Path = HERE) -> dict[Path, list[tuple[str, Path]]]:
    """Output path -> [(member name or '', source file)] for every source under ``sources``."""
    plan: dict[Path, list[tuple[str, Path]]] = {}
    for src in sorted(p for p in sources.rglob("*") if p.is_file()):
        rel = src.relative_to(sources)
        zip_at = next((i for i, part in enumerate(rel.parts[:-1]) if part.endswith(".zip")), None)
        if zip_at is None:
            plan[out / rel.with_name(rel.name + ".gz")] = [("", src)]
        else:
            member = "/".join(rel.parts[zip_at + 1:])
            plan.setdefault(out.joinpath(*rel.parts[: zip_at + 1]), []).append((member, src))
    return plan


def build(sources: Path = SOURCES, out: Path = HERE) -> list[Path]:
    """Write every compressed file; return the paths written."""
    written = []
    for dest, parts in targets(sources, out).items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.suffix == ".gz":
            ((_, src),) = parts
            dest.write_bytes(gzip.compress(src.read_bytes(), compresslevel=9, mtime=0))
        else:
            with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
                for member, src in sorted(parts):
                    info = zipfile.ZipInfo(member, date_time=ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, src.read_bytes())
        written.append(dest)
    return written


if __name__ == "__main__":
    for path in build():
        print(path.relative_to(HERE))
