"""A job queue any machine's worker takes from: procrastinate, on the portal's own PostgreSQL.

With `JOB_QUEUE=postgresql`, the work an app server used to start as a process of its own (an import's
check or commit) is deferred here instead, and a worker started apart from the app servers
(`flask --app wsgi jobs worker`, a systemd unit on any machine) takes it and runs the same process
(`python -m <module> <arguments>`): each job keeps its own memory, its resource limits and its process
group, and a stuck one can still be killed. The job's arguments are ids and words, never personal data
or secrets; the worker reads its configuration from its own environment, as the app servers do.

On the embedded SQLite default (`JOB_QUEUE=process`, the default) nothing of this runs: the app server
starts the process itself, and `make run` needs nothing beside the portal.
"""

import subprocess
import sys

import click
import procrastinate
from flask import Blueprint, current_app
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url

QUEUE = "portal"
PROCESS, POSTGRESQL = "process", "postgresql"
tasks = procrastinate.Blueprint()
commands = Blueprint("jobs", __name__, cli_group="jobs")


@tasks.task(name="run_module", queue=QUEUE)
def run_module(module: str, arguments: list[str]) -> int:
    """In a worker: the job's process, waited for (the worker runs as many at once as its concurrency)."""
    ended = subprocess.run(  # noqa: S603 - a module of the portal's own, with ids and words as arguments
        [sys.executable, "-m", module, *arguments], stdin=subprocess.DEVNULL, start_new_session=True, check=False
    )
    return ended.returncode


def enabled() -> bool:
    return current_app.config.get("JOB_QUEUE", PROCESS) == POSTGRESQL


def _conninfo(app) -> str:
    """The libpq address of the portal's database (the application role's)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _deferring_app():
    """This app server's handle on the queue, opened once per process."""
    app = current_app._get_current_object()
    handle = app.extensions.get("portal.queue")
    if handle is None:
        # a request waits at most 10 s for the queue's connection (the pool's default is 30)
        connector = procrastinate.SyncPsycopgConnector(conninfo=_conninfo(app), min_size=0, max_size=2, timeout=10)
        handle = procrastinate.App(connector=connector)
        handle.add_tasks_from(tasks, namespace=QUEUE)
        handle.open()
        app.extensions["portal.queue"] = handle
    return handle


def defer(module: str, arguments: list[str]) -> int:
    """Put the process on the queue; the id of the queue's job."""
    return _deferring_app().configure_task(f"{QUEUE}:run_module").defer(module=module, arguments=arguments)


def run_worker(concurrency: int, wait: bool = True) -> None:
    """Take jobs until stopped (SIGTERM, SIGINT), `concurrency` at once; `wait=False`: until none is left."""
    connector = procrastinate.PsycopgConnector(conninfo=_conninfo(current_app))
    worker_app = procrastinate.App(connector=connector)
    worker_app.add_tasks_from(tasks, namespace=QUEUE)
    worker_app.run_worker(queues=[QUEUE], concurrency=concurrency, wait=wait)


def schema_sql() -> str:
    """The queue's tables and functions, as procrastinate ships them (applied by a migration)."""
    return SchemaManager.get_schema()


# The commands a worker may be asked to run (`jobs defer NAME`): the nightly ones, as `flask` runs them.
COMMANDS = {
    "criteria-refresh": ["criteria", "refresh"],
    "privacy-sweep": ["privacy", "sweep"],
}


@commands.cli.command("defer")
@click.argument("name", type=click.Choice(sorted(COMMANDS)))
def defer_command(name: str) -> None:
    """Put a nightly command on the queue, for whichever worker is free (JOB_QUEUE=postgresql). One of each
    waits at a time: a second one deferred while the first waits is refused."""
    if not enabled():
        raise click.ClickException("JOB_QUEUE is not postgresql: run the command itself")
    task = _deferring_app().configure_task(f"{QUEUE}:run_module", queueing_lock=name)
    try:
        job_id = task.defer(module="flask", arguments=["--app", "wsgi", *COMMANDS[name]])
    except procrastinate.exceptions.AlreadyEnqueued as waiting:
        raise click.ClickException(f"{name} is already waiting on the queue") from waiting
    click.echo(f"{name}: queued as job {job_id}")


@commands.cli.command("worker")
@click.option("--concurrency", type=int, default=None, help="jobs at once (default: IMPORT_MAX_RUNNING)")
@click.option("--until-empty", is_flag=True, help="stop once no job is waiting")
def worker_command(concurrency: int | None, until_empty: bool) -> None:
    """Take the portal's jobs from the queue (JOB_QUEUE=postgresql) until stopped."""
    if not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise click.ClickException("the job queue runs on PostgreSQL; on SQLite each job runs as its own process")
    run_worker(concurrency or current_app.config["IMPORT_MAX_RUNNING"], wait=not until_empty)
