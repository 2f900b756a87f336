"""Incidents caused by people using drugs, with their legal severity and whether psychosis was involved."""
