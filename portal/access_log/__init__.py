"""The access log: who read, exported or changed what, across a unit, for the officers who audit it."""
