"""The home pages: `/` sends a user to their unit; a unit's home shows what its level calls for."""
