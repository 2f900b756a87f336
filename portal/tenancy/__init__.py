"""Administrative units (the one tree), reach, and the isolation of tenant-owned data."""
