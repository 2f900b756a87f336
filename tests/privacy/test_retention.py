"""Retention of identity (Law 91/2025/QH15, Decree 356/2025): past the province's period after a person
left every list, `privacy sweep` takes their identity and keeps their history."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.drug_tests.models import DrugTest
from portal.extensions import db
from portal.persons.cccd import cccd_hash
from portal.persons.models import Person, StatusEpisode
from portal.tenancy.guard import set_reach, system_scope
from portal.villages.models import Village

LONG_AGO = datetime(2019, 3, 1, 2, 0, tzinfo=UTC)
CCCD = "038090012345"


def _person(world, name: str, cccd: str, ended_on: date | None, tested_on: date) -> int:
    """A person of commune A, written through the guard (so the audit trail holds their name), with one
    management episode and one test."""
    a = world.unit_id["A"]
    set_reach(db.session, read=frozenset({a}), write=frozenset({a}))
    person = Person(
        commune_id=a, full_name=name, born_on=date(1990, 5, 1), sex="male", cccd=cccd,
        village_id=world.row_id[(Village, "A")], address="Thôn Đông, nhà số 7", notes=f"Ghi chú về {name}",
        created_at=LONG_AGO,
    )
    db.session.add(person)
    db.session.flush()
    db.session.add_all(
        [
            StatusEpisode(
                commune_id=a, person_id=person.id, kind="user_managed", started_on=date(2019, 3, 1), term_months=12,
                ended_on=ended_on, decision_number="12/QĐ-UBND", decision_signer="Chủ tịch Lê Văn Ký",
                notes=f"Tổ quản lý của {name}", created_at=LONG_AGO,
            ),
            DrugTest(
                commune_id=a, person_id=person.id, tested_on=tested_on, reason="under_management", sample="urine",
                result="negative", notes=f"{name} hợp tác", created_at=LONG_AGO,
            ),
        ]
    )
    db.session.commit()
    return person.id


def _sweep(app, *args):
    return app.test_cli_runner().invoke(args=["privacy", "sweep", *args])


def test_the_sweep_takes_the_identity_of_who_left_every_list_past_the_period_and_keeps_the_history(
    app, world, login
):
    with app.app_context():
        gone = _person(world, "Trần Văn Quá Hạn", CCCD, date(2020, 1, 1), date(2019, 6, 1))
        running = _person(world, "Lê Thị Đang Quản", "038190054321", None, date(2019, 6, 1))
        recent = _person(world, "Phạm Văn Mới Xong", "038090067890", date(2025, 6, 1), date(2025, 5, 1))
    dry = _sweep(app, "--dry-run")
    assert dry.exit_code == 0 and f"person {gone} " in dry.output and "would pseudonymise 1 " in dry.output
    with app.app_context(), system_scope(db.session):
        assert db.session.get(Person, gone).full_name == "Trần Văn Quá Hạn"  # a dry run changes nothing
    done = _sweep(app)
    assert done.exit_code == 0 and "pseudonymised 1 " in done.output, done.output
    with app.app_context(), system_scope(db.session):
        person = db.session.get(Person, gone)
        assert (person.full_name, person.cccd, person.address, person.notes) == ("T.V.Q.H.", "", "", "")
        assert person.cccd_hash == cccd_hash(CCCD) and person.pseudonymised_on is not None
        episode = db.session.scalar(select(StatusEpisode).where(StatusEpisode.person_id == gone))
        test = db.session.scalar(select(DrugTest).where(DrugTest.person_id == gone))
        assert (episode.notes, episode.decision_signer, test.notes) == ("", "", "")
        assert (episode.decision_number, episode.ended_on, test.result) == ("12/QĐ-UBND", date(2020, 1, 1), "negative")
        assert db.session.get(Person, running).full_name == "Lê Thị Đang Quản"
        assert db.session.get(Person, recent).full_name == "Phạm Văn Mới Xong"
        trail = " ".join(
            f"{e.before} {e.after}"
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type.in_(("person", "drug_test",
                                                                                           "status_episode"))))
        )
        assert "Quá Hạn" not in trail and CCCD not in trail and "Lê Thị Đang Quản" in trail
        assert db.session.scalar(
            select(func.count()).where(AuditEvent.action == "privacy_pseudonymised", AuditEvent.object_id == str(gone))
        ) == 1
    assert "pseudonymised 0 " in _sweep(app).output  # once is enough
    # the person comes back: the CCCD matches the earlier record by its hash, and the form says which
    officer = login("officer_a")
    response = officer.post(
        f"/u/{world.unit_code['A']}/persons/",
        data={"full_name": "Trần Văn Quá Hạn", "born_on": "01/05/1990", "sex": "male", "cccd": CCCD,
              "village_id": str(world.row_id[(Village, "A")]), "address": "", "notes": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400) and f"hồ sơ {gone}" in page and "Trần Văn Quá Hạn" in page
