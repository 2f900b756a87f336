"""Form fields that point at another row of the same commune."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

from portal.extensions import db


def int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # never a choice: refused as "not a valid choice"


class RowSelectField(SelectField):
    """A choice among the commune's live rows of a model. The choices are loaded for one commune,
    so an id of another commune is simply not a valid choice."""

    def __init__(self, label=None, validators=None, *, model_name: str = "", optional: bool = False, **kwargs):
        super().__init__(label, validators, coerce=int_or_none, **kwargs)
        self.model_name = model_name
        self.optional = optional

    def load(self, commune, model, describe) -> None:
        rows = db.session.scalars(select(model).where(model.commune_id == commune.id, model.deleted_at.is_(None))).all()
        choices = [SelectChoice("", _l("— choose —"))]
        self.choices = choices + sorted((SelectChoice(r.id, describe(r)) for r in rows), key=lambda c: c.label)

    def pre_validate(self, form):
        if self.data is None:
            if not self.optional:
                raise ValidationError(self.gettext("This field is required."))
            return
        super().pre_validate(form)
