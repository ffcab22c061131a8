"""Streaming readers: each container (gzip/bgzip/plain text, zip members, VCF) yields typed
Arrow record batches without ever holding a whole file in memory."""

#: Besides ``(table_name, rows)``, a layout generator may yield ``(ROWS_READ, n)``, the source
#: data lines behind the rows just yielded (wide files: one line becomes many rows), and
#: ``(NOTE, text)``, a remark for the manifest (e.g. records a reader skipped).
ROWS_READ = "__rows_read__"
NOTE = "__note__"
