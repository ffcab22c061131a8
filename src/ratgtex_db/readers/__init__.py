"""Streaming readers: each container (gzip/bgzip/plain text, zip members, VCF) yields typed
Arrow record batches without ever holding a whole file in memory."""
