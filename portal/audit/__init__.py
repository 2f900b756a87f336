"""The append-only audit trail: who did what, when, where, to which object."""
