"""Shared criteria, versioned as data; metrics defined once as code; per-commune results kept current."""
