"""The commune workspace: its home page and what needs action (due and overdue)."""
