from flask_babel import lazy_gettext as _l

from portal.hotspots.forms import HotspotForm
from portal.hotspots.models import HOTSPOT_STATUSES, Hotspot
from portal.registers.registry import declare
from portal.registers.spec import Column, Register, choice_filter
from portal.villages.registers import by_village

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
        cell=lambda row, key, personal, unit: (row.village.name if row.village else "—") if key == "village" else None,
    )
)
