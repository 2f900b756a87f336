"""The commune workspace's content, kept by each worker under the stamps of what it shows.

Below its breadcrumbs, the workspace shows the commune's header and lineage, its scorecard, its
recognition stage and its register tiles: the commune's, not the viewer's, the same for every account
with the same permissions there, with no person and no form token in it. Each worker keeps it drawn,
keyed by the commune, the stamps of the commune, of the communes it was formed from and of its province
(portal/tenancy/stamps.py: renewed by every transaction that changes a register, a kept result, a dossier
or the criteria), the unit tree's stamp, the day, the language and the viewer's permissions at the
commune. A request whose key is kept sends one statement after its login (the stamps) and draws nothing;
the first request after a change draws it again. The stamps are read before the content is drawn, so
what is kept is never older than the stamps it is kept under.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from portal import clock
from portal.extensions import db
from portal.tenancy import tree
from portal.tenancy.access import permissions_at
from portal.tenancy.models import AdminUnit
from portal.tenancy.stamps import stamps_of

KEEP_AT_MOST = 512  # drawn workspaces per worker (a province has 166 communes, two languages)
_KEPT: OrderedDict[tuple, Markup] = OrderedDict()
_LOCK = threading.Lock()  # the development server serves requests on threads


def kept_content(unit: AdminUnit, draw: Callable[[], str]) -> Markup:
    """The unit's content as `draw` makes it, kept under its key; drawn now when its stamps changed."""
    key = _key(unit)
    if key is None:  # a unit never stamped is never kept
        return _drawn(draw)
    with _LOCK:
        content = _KEPT.get(key)
        if content is not None:
            _KEPT.move_to_end(key)
            return content
    content = _drawn(draw)
    with _LOCK:
        _KEPT[key] = content
        while len(_KEPT) > KEEP_AT_MOST:
            _KEPT.popitem(last=False)
    return content


def _drawn(draw: Callable[[], str]) -> Markup:
    return Markup(draw())  # noqa: S704 - a template's own output, escaped as Jinja drew it


def _key(unit: AdminUnit) -> tuple | None:
    kept_tree = tree.current()
    stamps = stamps_of(kept_tree.with_its_sources(unit.id))
    if stamps is None:
        return None
    return (
        str(db.engine.url),
        unit.id,
        stamps,
        kept_tree.stamp,
        clock.today(),
        str(get_locale()),
        permissions_at(current_user, unit),
    )

