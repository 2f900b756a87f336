from flask_babel import lazy_gettext as _l

from portal.hotspots.forms import HotspotForm
from portal.hotspots.models import HOTSPOT_KINDS, HOTSPOT_STATUSES, Hotspot
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
            Column("place", _l("Place"), link=True),
            Column("village", _l("Village"), sortable=False),
            Column("kind", _l("Kind"), choices=HOTSPOT_KINDS),
            Column("found_on", _l("Found on")),
            Column("status", _l("Status"), choices=HOTSPOT_STATUSES),
            Column("status_since", _l("Status since")),
        ],
        describe=lambda row, personal: row.place,
        search_text=lambda row: f"{row.place} {row.notes}",
        filters=[
            by_village(Hotspot),
            choice_filter("status", _l("Status"), Hotspot.status, HOTSPOT_STATUSES),
        ],
        default_sort="-found_on",
        choices={"kind": HOTSPOT_KINDS, "status": HOTSPOT_STATUSES},
        cell=lambda row, key, personal, unit: (row.village.name if row.village else "—") if key == "village" else None,
    )
)
