"""Suspicion leads (Decree 105 Art. 38 grounds), drug tests, and the missed cases they reveal."""
