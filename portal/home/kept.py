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

from collections.abc import Callable

from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from portal import clock
from portal.extensions import db
from portal.shell.drawn import Drawings
from portal.tenancy import tree
from portal.tenancy.access import permissions_at
from portal.tenancy.models import AdminUnit
from portal.tenancy.stamps import stamps_of

_KEPT = Drawings(limit=512)  # drawn workspaces per worker (a province has 166 communes, two languages)


def kept_content(unit: AdminUnit, draw: Callable[[], str]) -> Markup:
    """The unit's content as `draw` makes it, kept under its key; drawn now when its stamps changed."""
    return _KEPT.get(_key(unit), draw)


def _key(unit: AdminUnit) -> tuple | None:
    """None for a unit never stamped: it is never kept."""
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
