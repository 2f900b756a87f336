"""Logging in and out: accounts, role assignments, passwords, server-side sessions, throttling."""
