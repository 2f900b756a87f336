"""On PYTHONPATH only for a test run with --clock (tests/conftest.py): a process that a test starts (an
import job's worker, the sheet's reader) lives at the test's moment, not at the machine's, as it would
on a server where both share one clock."""

import os

_offset = os.environ.get("PORTAL_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
