"""The pages of the case procedure beyond its registers: the official forms as PDF, the move of a person
to another commune, and the commune's transfers (those it sent, those coming to it)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.cases import official_forms, transfers
from portal.cases.models import TRANSFER_STATES, TeamMember
from portal.drug_tests.models import DrugTest
from portal.extensions import db
from portal.persons.legal_terms import KIND_LABELS
from portal.persons.models import Person, StatusEpisode
from portal.registers.access import live_rows
from portal.registers.fields import int_or_none
from portal.registers.forms import VnDateField
from portal.shell import downloads
from portal.shell.forms import PortalForm
from portal.tenancy.periods import province_code_of
from portal.tenancy.roles import REGISTERS_READ_PERSONAL, REGISTERS_WRITE
from portal.tenancy.routing import requires, unit_blueprint
from portal.tenancy.settings import plan_settings
from portal.villages.models import Village

cases = unit_blueprint("cases", __name__)
COMMUNE = ("commune",)


class MoveForm(PortalForm):
    to_commune_id = SelectField(_l("Moves to the commune"), coerce=int_or_none, validate_choice=False)
    destination = StringField(
        _l("Or, outside the province, to"), validators=[Optional()], description=_l("e.g. Phường Hà Đông, Hà Nội")
    )
    moved_on = VnDateField(_l("Moved on"), validators=[Optional()])
    reason = TextAreaField(_l("Reason and new address"), validators=[Optional()])


class AcceptForm(PortalForm):
    village_id = SelectField(_l("Village where the person now lives"), coerce=int_or_none, validate_choice=False)


def _person(unit, person_id: int) -> Person:
    person = db.session.scalar(live_rows(Person, unit).where(Person.id == person_id))
    if person is None:
        abort(404)
    return person


def _settings(unit) -> dict:
    return plan_settings(province_code_of(unit)).get("documents", {})


@cases.get("/episodes/<int:status_episode_id>/form-<number>.pdf")
@requires(REGISTERS_READ_PERSONAL, COMMUNE)
def form_pdf(unit, status_episode_id, number):
    episode = db.session.scalar(live_rows(StatusEpisode, unit).where(StatusEpisode.id == status_episode_id))
    if episode is None or number not in official_forms.forms_of(episode):
        abort(404)
    person = _person(unit, episode.person_id)
    document = _document(unit, person, episode, number)
    name = f"mau-{number}-{unit.code}-{person.id}.pdf"
    return downloads.download(official_forms.pdf(document, _settings(unit)), "application/pdf", name)


def _document(unit, person, episode, number: str):
    if number == "07":
        team = db.session.scalars(
            live_rows(TeamMember, unit).where(TeamMember.episode_id == episode.id).order_by(TeamMember.id)
        ).all()
        positive = db.session.scalar(
            live_rows(DrugTest, unit)
            .where(
                DrugTest.person_id == person.id, DrugTest.result == "positive", DrugTest.tested_on <= episode.started_on
            )
            .order_by(DrugTest.tested_on.desc())
            .limit(1)
        )
        return official_forms.form_07(unit, person, episode, team, positive)
    if number in ("09", "10"):
        return official_forms.form_09_or_10(unit, person, episode, number)
    if number == "24":
        return official_forms.form_24(unit, person, episode)
    if number == "51":
        return official_forms.form_51(unit, person, episode)
    return official_forms.form_54(unit, person, episode)


@cases.route("/persons/<int:person_id>/move", methods=["GET", "POST"])
@requires(REGISTERS_WRITE, COMMUNE)
def move(unit, person_id):
    person = _person(unit, person_id)
    form = MoveForm(formdata=request.form if request.method == "POST" else None)
    form.to_commune_id.choices = [("", _("— choose —"))] + [(u.id, u.name) for u in transfers.receiving_communes(unit)]
    errors = {}
    if request.method == "POST" and form.validate():
        try:
            transfers.record_move(
                unit,
                current_user,
                person,
                form.to_commune_id.data,
                form.destination.data or "",
                form.moved_on.data,
                form.reason.data or "",
            )
            db.session.commit()
            return redirect(url_for("cases.transfers", unit_code=unit.address))
        except transfers.TransferRefused as refused:
            db.session.rollback()
            errors = refused.errors
            for name, message in errors.items():
                if name in form:
                    form[name].errors = [*form[name].errors, str(message)]
    # a refused form answers 200 with its errors beside the fields, as every form of the portal does
    return render_template("cases/move.html", unit=unit, person=person, form=form, errors=errors)


@requires(REGISTERS_READ_PERSONAL, COMMUNE)
def transfers_page(unit, accept_form=None, refused=None):
    villages = db.session.scalars(live_rows(Village, unit).order_by(Village.name)).all()
    form = accept_form or AcceptForm()
    form.village_id.choices = [("", _("— choose —"))] + [(v.id, v.name) for v in villages]
    return render_template(
        "cases/transfers.html",
        unit=unit,
        incoming=transfers.incoming(unit),
        outgoing=transfers.outgoing(unit),
        form=form,
        refused=refused or {},
        states=TRANSFER_STATES,
        kinds=KIND_LABELS,
    )


cases.add_url_rule("/transfers/", "transfers", transfers_page, methods=["GET"])  # endpoint: cases.transfers


@cases.post("/transfers/<int:transfer_id>/accept")
@requires(REGISTERS_WRITE, COMMUNE)
def accept(unit, transfer_id):
    transfer = transfers.transfer_of(unit, transfer_id, receiving=True)
    if transfer is None:
        abort(404)
    form = AcceptForm(formdata=request.form)
    try:
        person = transfers.accept(unit, current_user, transfer, form.village_id.data)
        db.session.commit()
    except transfers.TransferRefused as refused:
        db.session.rollback()
        return transfers_page(unit, accept_form=form, refused={transfer_id: refused.errors})
    return redirect(url_for("persons.show", unit_code=unit.address, person_id=person.id))


@cases.post("/transfers/<int:transfer_id>/withdraw")
@requires(REGISTERS_WRITE, COMMUNE)
def withdraw(unit, transfer_id):
    transfer = transfers.transfer_of(unit, transfer_id, receiving=False)
    if transfer is None:
        abort(404)
    try:
        transfers.withdraw(unit, current_user, transfer)
        db.session.commit()
    except transfers.TransferRefused as refused:
        db.session.rollback()
        return transfers_page(unit, refused={transfer_id: refused.errors})
    flash(_("The move of %(name)s was withdrawn: the period runs here again.", name=transfer.full_name), "success")
    return redirect(url_for("cases.transfers", unit_code=unit.address))


@cases.get("/transfers/<int:transfer_id>/form-08.pdf")
@requires(REGISTERS_READ_PERSONAL, COMMUNE)
def form_08_pdf(unit, transfer_id):
    transfer = transfers.transfer_of(unit, transfer_id, receiving=False)
    if transfer is None:
        abort(404)
    person = _person(unit, transfer.person_id)
    episode = db.session.scalar(
        live_rows(StatusEpisode, unit).where(
            StatusEpisode.person_id == person.id,
            StatusEpisode.kind == transfer.case_kind,
            StatusEpisode.ended_on == transfer.moved_on,
        )
    )
    receiver = transfer.receiver.name if transfer.receiver else transfer.destination
    document = official_forms.form_08(transfer, unit, receiver, person, episode)
    data = official_forms.pdf(document, _settings(unit))
    return downloads.download(data, "application/pdf", f"mau-08-{unit.code}-{person.id}.pdf")
