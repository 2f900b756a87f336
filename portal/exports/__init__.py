"""Large register exports on the job queue (`JOB_QUEUE=postgresql`): portal/exports/jobs.py."""
