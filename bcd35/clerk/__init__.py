"""The clerks' side: XLSX templates, a check before dropping a file, and the upload page.

Everything here is built on the ingest's own definitions (``bcd35.ingest.kinds``, the reference
lookups, ``bcd35.ingest.pipeline.analyse``) so that what a clerk is shown is exactly what the
night will do.
"""
