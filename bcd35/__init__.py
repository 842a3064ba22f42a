"""bcd35 warehouse."""
