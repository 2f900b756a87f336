from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.hotspots.forms import HotspotForm
from portal.hotspots.models import HOTSPOT_STATUSES, Hotspot, HotspotStatus
from portal.registers.registry import declare
from portal.registers.spec import Column, Register, choice_filter
from portal.villages.registers import by_village


def _keep_status_history(commune, actor, hotspot, created) -> None:
    """Each status a hotspot takes, with its day, is kept: a scorecard for a past day reads it."""
    latest = db.session.scalar(
        select(HotspotStatus)
        .where(HotspotStatus.commune_id == commune.id, HotspotStatus.hotspot_id == hotspot.id)
        .order_by(HotspotStatus.id.desc())
        .limit(1)
    )
    if latest is None or (latest.status, latest.since) != (hotspot.status, hotspot.status_since):
        db.session.add(
            HotspotStatus(
                commune_id=commune.id, hotspot_id=hotspot.id, status=hotspot.status, since=hotspot.status_since
            )
        )
        db.session.flush()


hotspots = declare(
    Register(
        slug="hotspots",
        model=Hotspot,
        form=HotspotForm,
        title=_l("Drug hotspots"),
        noun=_l("hotspot"),
        columns=[
            Column("place", link=True),
            Column("village", sortable=False),
            Column("kind"),
            Column("found_on"),
            Column("status"),
            Column("status_since"),
        ],
        describe=lambda row, personal: row.place,
        search_text=lambda row: f"{row.place} {row.notes}",
        filters=[
            by_village(Hotspot),
            choice_filter("status", _l("Status"), Hotspot.status, HOTSPOT_STATUSES),
        ],
        default_sort="-found_on",
        after_save=_keep_status_history,
        cell=lambda row, key, personal, unit: (row.village.name if row.village else "—") if key == "village" else None,
    )
)
