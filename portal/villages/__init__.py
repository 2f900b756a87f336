"""A commune's villages (thôn) and residential groups (tổ dân phố)."""
