"""Importing registers from Excel: templates, checks, previews, all-or-nothing commits."""
