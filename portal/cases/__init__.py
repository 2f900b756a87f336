"""The case as the law runs it (Decree 105/2021, Decree 116/2021, Law 73/2021, Law 120/2025): the
management team, monthly checks, addiction determinations, absences, the next steps and their
working-day deadlines, moves between communes, and the official forms."""
