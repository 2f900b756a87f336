"""The process of one import job: `python -m portal.imports.worker JOB_ID check|commit YYYY-MM-DD`.

Started by `jobs.launch`; it reads its configuration from the environment as the portal does, and works
as of the day of the request that started it."""

import sys
from datetime import date

from portal import create_app
from portal.imports import jobs


def main(argv: list[str]) -> int:
    job_id, phase, day = int(argv[1]), argv[2], date.fromisoformat(argv[3])
    if phase not in (jobs.CHECK, jobs.COMMIT):
        return 2
    app = create_app()
    with app.app_context():
        jobs.run(job_id, phase, day)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
