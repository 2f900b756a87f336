"""Drawn HTML kept by a worker under a key that names everything it shows.

A worker keeps a part of a page it draws often (the commune workspace's content, portal/home/kept.py;
the menu of the layout, portal/shell/layout.py) under a key built from what the part shows: stamps read
from the database in the same request, the day, the language, the viewer's permissions. A key that is
kept is served as drawn; any change to what it shows gives a new key, and the oldest keys are forgotten.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from markupsafe import Markup


class Drawings:
    """The most recently used drawings of one part of a page, at most `limit` of them."""

    def __init__(self, limit: int):
        self.limit = limit
        self._kept: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()  # the development server serves requests on threads

    def get(self, key: Hashable | None, draw: Callable[[], str]) -> Markup:
        """What `draw` makes, kept under the key; drawn now when it is not kept. No key: never kept."""
        if key is None:
            return _markup(draw())
        with self._lock:
            drawn = self._kept.get(key)
            if drawn is not None:
                self._kept.move_to_end(key)
                return drawn
        drawn = _markup(draw())
        with self._lock:
            self._kept[key] = drawn
            while len(self._kept) > self.limit:
                self._kept.popitem(last=False)
        return drawn


def _markup(drawn: str) -> Markup:
    return Markup(drawn)  # noqa: S704 - a template's own output, escaped as Jinja drew it
