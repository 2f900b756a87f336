"""Persons of interest and their situation over time: status episodes under the drug law's timed rules,
and the reintegration support they receive."""
