"""Backups of the whole portal (database and dossier scans) and their checked restore."""
