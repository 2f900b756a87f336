"""What every commune register shares: rows with history and soft delete, the list / detail / edit
views, the write path with conflict detection, masking of personal fields. A register is declared
once (`Register`) in its own domain package; this package does the rest."""
