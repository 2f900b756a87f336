from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.prevention.forms import ModelActivityForm, PreventionModelForm
from portal.prevention.models import ACTIVITY_KINDS, MODEL_STATUSES, ModelActivity, PreventionModel
from portal.registers.access import live_rows
from portal.registers.display import link
from portal.registers.registry import declare
from portal.registers.spec import Column, Register, choice_filter
from portal.shell.i18n import format_day

prevention_models = declare(
    Register(
        slug="models",
        name="prevention_models",
        model=PreventionModel,
        form=PreventionModelForm,
        title=_l("Prevention models"),
        noun=_l("prevention model"),
        columns=[
            Column("name", link=True),
            Column("led_by"),
            Column("started_on"),
            Column("status"),
        ],
        describe=lambda row, personal: row.name,
        search_text=lambda row: f"{row.name} {row.led_by}",
        filters=[choice_filter("status", _l("Status"), PreventionModel.status, MODEL_STATUSES)],
        default_sort="name",
        detail_template="prevention/_model_detail.html",
        detail_context=lambda commune, row, personal: {
            "activities": db.session.scalars(
                live_rows(ModelActivity, commune)
                .where(ModelActivity.model_id == row.id)
                .order_by(ModelActivity.held_on.desc())
            ).all(),
            "activity_kinds": ACTIVITY_KINDS,
        },
    )
)

model_activities = declare(
    Register(
        slug="activities",
        model=ModelActivity,
        form=ModelActivityForm,
        title=_l("Model activities"),
        noun=_l("activity"),
        columns=[
            Column("model", sortable=False),
            Column("held_on", link=True),
            Column("kind"),
            Column("participants"),
        ],
        describe=lambda row, personal: f"{row.model.name if row.model else ''} · {format_day(row.held_on)}",
        search_text=lambda row: f"{row.model.name if row.model else ''} {row.notes}",
        filters=[choice_filter("kind", _l("Kind of activity"), ModelActivity.kind, ACTIVITY_KINDS)],
        default_sort="-held_on",
        prefill=("model_id",),
        cell=lambda row, key, personal, unit: (
            link(
                url_for("prevention_models.show", unit_code=unit.address, prevention_model_id=row.model_id),
                row.model.name if row.model else "—",
            )
            if key == "model"
            else None
        ),
    )
)
