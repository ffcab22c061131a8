"""Zip archives of per-gene TSVs (cis_pvals, all_gene_esnps, v3 singleTissueEqtl): members
streamed one at a time, each small (one gene), never the whole archive in memory."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from ratgtex_db.errors import FormatError
from ratgtex_db.readers.text import GZIP_MAGIC, STREAM_ERRORS, maybe_gunzip


def iter_members(name: str, path: str, member: str | None) -> Iterator[tuple[str, str, bytes]]:
    """(message name ``archive!member``, gene id, decompressed text) of each member, in
    archive order. ``member`` is the regular expression of member names, with a ``gene_id``
    group; a member that does not match it is a FormatError naming it."""
    member_re = re.compile(member or r"(?P<gene_id>.+)")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise FormatError(name, f"not a readable zip archive ({err})") from err
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            mname = f"{name}!{info.filename}"
            m = member_re.match(info.filename)
            if not m:
                raise FormatError(mname, "unexpected member name",
                                  expected=f"a name matching {member_re.pattern}",
                                  found=info.filename)
            try:
                content = zf.read(info)
                if content[:2] == GZIP_MAGIC:
                    content = maybe_gunzip(io.BytesIO(content)).read()
            except (zipfile.BadZipFile, *STREAM_ERRORS) as err:
                raise FormatError(mname, f"corrupt zip member ({err}); re-download the archive"
                                  ) from err
            yield mname, m.group("gene_id"), content
