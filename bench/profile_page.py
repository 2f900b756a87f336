"""Where a page's time goes: cProfile over many GETs of one page, in this process (no network), with the
statements each request sends. Issue 20 keeps its output beside the benchmark, before and after.

    python bench/profile_page.py [--db sqlite|postgresql] [--requests 200] [--path /u/15085/] [--top 30]

It uses the small demo database `bench/rollups.py` builds (built here when missing) and the commune
officer's session; the first request (templates compiled, the unit tree read) is left out.
"""

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.rollups import COMMUNE, Site, build, database_url  # noqa: E402
from portal.extensions import db  # noqa: E402


def statements_of(site: Site, user: str, path: str) -> list[str]:
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split())[:110])

    with site.app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            site.get(user, path)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--path", default=f"/u/{COMMUNE}/")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    url = database_url(args.db, "small")
    if args.db == "sqlite" and not Path(url[len("sqlite:///") :]).exists():
        build(url, "small")
    site = Site(url)
    user = f"xa.{COMMUNE}"
    site.get(user, args.path)  # warm: templates compiled, the tree read
    statements = statements_of(site, user, args.path)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        site.get(user, args.path)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    each = stats.total_tt / args.requests * 1000
    print(f"{args.path} on {args.db}: {args.requests} requests, {each:.2f} ms each under cProfile")
    print(f"{len(statements)} statements per request:")
    for statement in statements:
        print(f"  {statement}")
    print(out.getvalue())


if __name__ == "__main__":
    main()
