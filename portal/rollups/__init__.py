"""District comparison and province rollout: read from the kept per-commune results (counts only),
never from the registers, so a page costs O(communes) whatever the number of records."""
