"""The process of one queued export: `python -m portal.exports.worker JOB_ID YYYY-MM-DD`.

A worker of the job queue starts it (portal/queue.py); it reads its configuration from the environment as
the portal does, and writes the file as of the day the export was asked on."""

import sys
from datetime import date

from portal import create_app
from portal.exports import jobs


def main(argv: list[str]) -> int:
    job_id, day = int(argv[1]), date.fromisoformat(argv[2])
    app = create_app()
    with app.app_context():
        jobs.run(job_id, day)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
