"""Zip archives of per-gene TSVs (cis_pvals, all_gene_esnps, v3 singleTissueEqtl): members
streamed one at a time, each small (one gene), never the whole archive in memory."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator

from ratgtex_db.errors import FormatError
from ratgtex_db.readers.text import GZIP_MAGIC, STREAM_ERRORS, maybe_gunzip, strip_bom

#: Compression methods Python's zipfile reads (bzip2 and LZMA if Python was built with them).
READABLE_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                              zipfile.ZIP_LZMA})
#: Names of the methods other zip tools write (Windows' own writes Deflate64 for big files).
METHOD_NAMES = {1: "Shrink", 6: "Implode", 9: "Deflate64", 10: "PKWARE Implode", 18: "IBM TERSE",
                19: "IBM LZ77", 93: "Zstandard", 95: "xz", 96: "JPEG", 97: "WavPack",
                98: "PPMd", 99: "WinZip AES encryption"}
REZIP = "re-zip the files with plain deflate (e.g. zip -r) or re-download the archive"


def iter_members(name: str, path: str, member: str | None) -> Iterator[tuple[str, str, bytes]]:
    """(message name ``archive!member``, gene id, decompressed text) of each member, in
    archive order. ``member`` is the regular expression of member names, with a ``gene_id``
    group. Before any member is read, every entry is checked: a member name that does not
    match ``member``, an encrypted member and one compressed with a method Python cannot
    inflate are each a FormatError naming the archive and the member (an archive without
    members yields nothing: shape_zip refuses it). A member's text loses a leading UTF-8
    byte-order mark, as a text file's does."""
    member_re = re.compile(member or r"(?P<gene_id>.+)")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise FormatError(name, f"not a readable zip archive ({err}): the file is damaged, cut "
                          "short (an interrupted download) or not a zip at all; re-download "
                          "it") from err
    with zf:
        entries = [(info, _check_entry(name, info, member_re))
                   for info in zf.infolist() if not info.is_dir()]
        for info, gene in entries:
            mname = f"{name}!{info.filename}"
            try:
                content = zf.read(info)
                if content[:2] == GZIP_MAGIC:
                    content = maybe_gunzip(io.BytesIO(content)).read()
            except RuntimeError as err:  # encrypted (a flag _check_entry did not see)
                raise FormatError(mname, f"the member cannot be read ({err}); {REZIP}"
                                  ) from err
            except NotImplementedError as err:  # a compression method zipfile lacks
                raise FormatError(mname, f"the member uses a compression method that cannot be "
                                  f"read ({err}); {REZIP}") from err
            except (zipfile.BadZipFile, *STREAM_ERRORS) as err:
                raise FormatError(mname, f"corrupt zip member ({err}); re-download the archive"
                                  ) from err
            yield mname, gene, strip_bom(content)


def _check_entry(name: str, info: zipfile.ZipInfo, member_re: re.Pattern[str]) -> str:
    """The gene id of a member, or a FormatError if it cannot be one of the archive's
    per-gene files or cannot be read."""
    mname = f"{name}!{info.filename}"
    m = member_re.match(info.filename)
    if not m:
        raise FormatError(mname, f"unexpected member name {info.filename!r}: every member must "
                          f"be a per-gene file named like '{member_example(name)}' (matching "
                          f"{member_re.pattern}); remove that member from the archive, or "
                          "re-download it")
    if info.flag_bits & 0x1:
        raise FormatError(mname, "the member is encrypted (password-protected), which cannot "
                          "be read; re-zip the files without a password (e.g. zip -r) or "
                          "re-download the archive")
    if info.compress_type not in READABLE_METHODS:
        method = METHOD_NAMES.get(info.compress_type, f"number {info.compress_type}")
        raise FormatError(mname, f"the member uses compression method {method}, which cannot "
                          f"be read; {REZIP}")
    return m.group("gene_id")


def member_example(name: str) -> str:
    """A member name as the release writes them: the archive's name without ``.zip`` as the
    folder (``cis_pvals/BLA.v4.zip`` holds ``BLA.v4/{gene}.txt``, release-format 3.17-3.18)."""
    stem = os.path.basename(name)
    stem = stem[:-len(".zip")] if stem.lower().endswith(".zip") else stem
    return f"{stem}/{{gene}}.txt"
