"""Demo data for newcomers and trainers: plausible, clearly marked, never mixed with real records."""
