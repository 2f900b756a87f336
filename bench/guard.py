"""What the ORM guard's inspection costs a page, and what deciding once per statement shape saves
(issue 20). The same pages are asked alternately with the guard deciding per shape (as the portal runs)
and inspecting every statement (as it did before), in one process on one database (the test world on
SQLite); medians of many, printed with their ratio. Run: python bench/guard.py [rounds]
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "development")

from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.tenancy import guard  # noqa: E402
from tests.conftest import client_with_session  # noqa: E402
from tests.world import seed_world  # noqa: E402

PAGES = ("/u/15085/", "/u/15085/persons/", "/u/15085/due/")


def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'guard.sqlite3'}"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_world()
    client = client_with_session(app, "officer_a")
    decided = guard._decision
    modes = {"per shape": decided, "every statement": guard._inspect}
    times = {(page, mode): [] for page in PAGES for mode in modes}
    for page in PAGES:  # warm both ways once
        for decide in modes.values():
            guard._decision = decide
            assert client.get(page).status_code == 200
    for _ in range(rounds):
        for page in PAGES:
            for mode, decide in modes.items():
                guard._decision = decide
                start = time.perf_counter()
                assert client.get(page).status_code == 200
                times[(page, mode)].append(time.perf_counter() - start)
    guard._decision = decided
    print(f"{'page':<22} {'per shape ms':>13} {'every stmt ms':>14} {'ratio':>6}")
    for page in PAGES:
        shape, every = (statistics.median(times[(page, m)]) * 1000 for m in modes)
        print(f"{page:<22} {shape:>13.2f} {every:>14.2f} {shape / every:>6.2f}")
    print(f"shapes decided: {len(guard.DECISIONS)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
