"""The clerks' upload page (FastAPI): log in, drop files, read the check, accept into the inbox."""
