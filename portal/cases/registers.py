"""The registers of the case procedure: the management team, residence checks, absences and addiction
determinations; and what the person's page shows of the case (next steps, team, forms, moves)."""

from flask_babel import lazy_gettext as _l

from portal import clock
from portal.cases.due import person_steps, unreported_absence_days
from portal.cases.forms import AbsenceForm, DeterminationForm, ResidenceCheckForm, TeamMemberForm
from portal.cases.models import (
    CHECK_OUTCOMES,
    DETERMINATION_RESULTS,
    TEAM_ROLES,
    Absence,
    CaseTransfer,
    Determination,
    ResidenceCheck,
    TeamMember,
)
from portal.cases.official_forms import TITLES, forms_of
from portal.drug_tests.registers import drug_tests, suspicion_leads
from portal.extensions import db
from portal.persons.legal_terms import KIND_LABELS, legal_end
from portal.persons.models import StatusEpisode
from portal.persons.registers import person_link, person_name, persons, reintegration_supports, status_episodes
from portal.registers.access import live_rows
from portal.registers.registry import declare
from portal.registers.spec import Column, Register, choice_filter
from portal.shell.i18n import format_day

# The management team ---------------------------------------------------------------------------------


def _validate_member(commune, data, row):
    episode = db.session.scalar(live_rows(StatusEpisode, commune).where(StatusEpisode.id == data["episode_id"]))
    if episode is None or episode.kind != "user_managed":
        return {"episode_id": _l("A management team belongs to a management decision (Form 07).")}
    others = db.session.scalars(
        live_rows(TeamMember, commune).where(
            TeamMember.episode_id == episode.id, TeamMember.id != (row.id if row else -1)
        )
    ).all()
    if data["role"] == "leader" and any(o.role == "leader" for o in others):
        return {"role": _l("This team already has its leader.")}
    if data.get("mentor") and any(o.mentor for o in others):
        return {"mentor": _l("Another member is already named to help the person.")}
    return {}


def _episode_describe(episode, personal) -> str:
    if episode is None:
        return "—"
    return f"{KIND_LABELS[episode.kind]} · {person_name(episode.person, personal)} · {format_day(episode.started_on)}"


team_members = declare(
    Register(
        slug="team-members",
        name="team_members",
        model=TeamMember,
        form=TeamMemberForm,
        title=_l("Management teams"),
        noun=_l("team member"),
        columns=[
            Column("full_name", link=True),
            Column("role"),
            Column("position"),
            Column("episode", _l("Management decision"), sortable=False),
        ],
        describe=lambda row, personal: row.full_name if personal else "—",
        search_text=lambda row: f"{row.full_name} {row.position}",
        search_is_personal=True,
        filters=[choice_filter("role", _l("Role in the team"), TeamMember.role, TEAM_ROLES)],
        default_sort="full_name",
        validate=_validate_member,
        cell=lambda row, key, personal, unit: _episode_describe(row.episode, personal) if key == "episode" else None,
        prefill=("episode_id", "role"),
        personal_fields=("full_name", "position"),
    )
)

# Residence checks ------------------------------------------------------------------------------------

residence_checks = declare(
    Register(
        slug="residence-checks",
        name="residence_checks",
        model=ResidenceCheck,
        form=ResidenceCheckForm,
        title=_l("Residence checks"),
        noun=_l("residence check"),
        columns=[Column("person", sortable=False), Column("checked_on", link=True), Column("outcome")],
        describe=lambda row, personal: f"{person_name(row.person, personal)} · {format_day(row.checked_on)}",
        search_text=lambda row: row.person.full_name if row.person else "",
        search_is_personal=True,
        filters=[choice_filter("outcome", _l("Outcome"), ResidenceCheck.outcome, CHECK_OUTCOMES)],
        default_sort="-checked_on",
        cell=lambda row, key, personal, unit: person_link(row, personal, unit) if key == "person" else None,
        prefill=("person_id",),
        personal_fields=("notes",),
    )
)

# Absences during post-rehab --------------------------------------------------------------------------


def recompute_post_rehab_end(commune, person_id: int) -> None:
    """The post-rehab terms of the person, lengthened by their unreported absences."""
    for episode in db.session.scalars(
        live_rows(StatusEpisode, commune).where(
            StatusEpisode.person_id == person_id, StatusEpisode.kind == "post_rehab"
        )
    ):
        episode.legal_end_on = legal_end(
            "post_rehab",
            episode.started_on,
            None,
            episode.post_rehab_after,
            extra_days=unreported_absence_days(commune, episode),
        )
    db.session.flush()


absences = declare(
    Register(
        slug="absences",
        model=Absence,
        form=AbsenceForm,
        title=_l("Absences from the residence"),
        noun=_l("absence"),
        columns=[
            Column("person", sortable=False),
            Column("left_on", link=True),
            Column("returned_on"),
            Column("reported", choices={True: _l("Yes"), False: _l("No")}),
        ],
        describe=lambda row, personal: f"{person_name(row.person, personal)} · {format_day(row.left_on)}",
        search_text=lambda row: row.person.full_name if row.person else "",
        search_is_personal=True,
        default_sort="-left_on",
        cell=lambda row, key, personal, unit: person_link(row, personal, unit) if key == "person" else None,
        prefill=("person_id",),
        personal_fields=("notes",),
    )
)


@absences.follow
@absences.follow_delete_or_restore
def _absence_counts_on_its_term(commune, actor, absence, created=False) -> None:
    """An absence saved, deleted or restored: the person's post-rehab terms made again from the live ones."""
    recompute_post_rehab_end(commune, absence.person_id)


@status_episodes.follow
def _post_rehab_counts_absences(commune, actor, episode, created) -> None:
    if episode.kind == "post_rehab":
        recompute_post_rehab_end(commune, episode.person_id)


# Addiction determinations ----------------------------------------------------------------------------


def _validate_determination(commune, data, row):
    if data["result"] and not data["result_on"]:
        return {"result_on": _l("Enter the date of the result slip.")}
    if data["result_on"] and not data["result"]:
        return {"result": _l("Choose the result the slip gives.")}
    return {}


determinations = declare(
    Register(
        slug="determinations",
        model=Determination,
        form=DeterminationForm,
        title=_l("Addiction determinations"),
        noun=_l("determination"),
        columns=[
            Column("person", sortable=False),
            Column("requested_on", link=True),
            Column("facility"),
            Column("result_on"),
            Column("result", personal=True),
        ],
        describe=lambda row, personal: f"{person_name(row.person, personal)} · {format_day(row.requested_on)}",
        search_text=lambda row: f"{row.person.full_name if row.person else ''} {row.facility}",
        search_is_personal=True,
        filters=[choice_filter("result", _l("Result"), Determination.result, DETERMINATION_RESULTS, personal=True)],
        default_sort="-requested_on",
        validate=_validate_determination,
        cell=lambda row, key, personal, unit: person_link(row, personal, unit) if key == "person" else None,
        prefill=("person_id", "test_id"),
        personal_fields=("result", "notes", "doctor"),
    )
)


# The person's page ------------------------------------------------------------------------------------


@persons.add_detail
def _person_case(commune, person, personal) -> dict:
    """The case on the person's page: the next steps, the teams, checks and determinations, the forms
    each decision prints, and the moves."""
    episodes = sorted(person.episodes, key=lambda e: (e.started_on, e.id))
    managed = [e.id for e in episodes if e.kind == "user_managed"]
    return {
        "next_due": [i for i in person_steps(commune, person, clock.today()) if personal or not i.personal],
        "teams": db.session.scalars(
            live_rows(TeamMember, commune).where(TeamMember.episode_id.in_(managed)).order_by(TeamMember.id)
        ).all()
        if managed
        else [],
        "checks": db.session.scalars(
            live_rows(ResidenceCheck, commune)
            .where(ResidenceCheck.person_id == person.id)
            .order_by(ResidenceCheck.checked_on.desc())
        ).all(),
        "determinations": db.session.scalars(
            live_rows(Determination, commune)
            .where(Determination.person_id == person.id)
            .order_by(Determination.requested_on.desc())
        ).all(),
        "official_forms": [(e, numbers) for e in episodes if (numbers := forms_of(e))],
        "moves": db.session.scalars(
            db.select(CaseTransfer)
            .where(CaseTransfer.commune_id == commune.id, CaseTransfer.person_id == person.id)
            .order_by(CaseTransfer.id.desc())
        ).all(),
        "form_titles": TITLES,
        "team_roles": TEAM_ROLES,
        "check_outcomes": CHECK_OUTCOMES,
        "determination_results": DETERMINATION_RESULTS,
    }


# A person who moved away ------------------------------------------------------------------------------


def _moved(commune, person_id: int | None) -> CaseTransfer | None:
    """The settled move of the person out of this commune: accepted by the receiver, or out of the province.
    Until the receiver accepts, the sender may still correct what it holds."""
    if not person_id:
        return None
    return db.session.scalar(
        db.select(CaseTransfer)
        .where(
            CaseTransfer.commune_id == commune.id,
            CaseTransfer.person_id == person_id,
            CaseTransfer.state.in_(("accepted", "left_province")),
        )
        .order_by(CaseTransfer.id.desc())
        .limit(1)
    )


def _kept_as_it_was(transfer: CaseTransfer) -> str:
    where = transfer.receiver.name if transfer.receiver else transfer.destination
    return str(
        _l(
            "%(name)s moved to %(where)s on %(day)s: this commune keeps its records of the person as they were, "
            "and the file goes on there.",
            name=transfer.full_name,
            where=where,
            day=format_day(transfer.moved_on),
        )
    )


def _person_id_of(register, commune, row, data) -> int | None:
    if register is persons:
        return row.id if row is not None else None
    if register is team_members:
        episode_id = (data or {}).get("episode_id") or (row.episode_id if row is not None else None)
        episode = (
            db.session.scalar(live_rows(StatusEpisode, commune).where(StatusEpisode.id == episode_id))
            if episode_id
            else None
        )
        return episode.person_id if episode is not None else None
    return (data or {}).get("person_id") or (getattr(row, "person_id", None) if row is not None else None)


def _frozen_after_a_move(register):
    def rule(commune, row, data):
        transfer = _moved(commune, _person_id_of(register, commune, row, data))
        return _kept_as_it_was(transfer) if transfer is not None else None

    return rule


def _guard_moved_persons() -> None:
    for register in (
        persons,
        status_episodes,
        reintegration_supports,
        suspicion_leads,
        drug_tests,
        team_members,
        residence_checks,
        absences,
        determinations,
    ):
        register.guard(_frozen_after_a_move(register))


_guard_moved_persons()
