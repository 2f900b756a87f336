"""A person under management moves to another commune: the sender records it, the receiver sees who is
coming and why, accepts, and continues the remaining term with the file; the sender keeps its own past
and sees nothing new. A move out of the province ends the case here."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.audit.models import AuditEvent
from portal.cases.models import CaseTransfer
from portal.extensions import db
from portal.persons.models import Person, StatusEpisode
from portal.tenancy.guard import system_scope
from portal.villages.models import Village
from tests.cases.test_procedure import add_episode, add_test, day, due_group, errors_of, new_person, pdf_text

pytestmark = pytest.mark.clock  # the move and its deadlines are days

A, B = "15085", "15076"


def _move(client, person, to_commune_id, moved_on, destination=""):
    return client.post(
        f"/u/{A}/persons/{person}/move",
        data={
            "to_commune_id": str(to_commune_id or ""),
            "destination": destination,
            "moved_on": day(moved_on),
            "reason": "Theo gia đình về quê vợ",
        },
    )


def _managed_person(client, world):
    today = clock.today()
    person = new_person(client, world, name="Lò Văn Đi", cccd="038092444444")
    add_test(client, person, today - timedelta(days=40))
    made = add_episode(
        client,
        person,
        "user_managed",
        today - timedelta(days=35),
        decision_number="41/QĐ-UBND",
        decision_on=today - timedelta(days=35),
    )
    assert made.status_code == 302, errors_of(made)
    return person


def test_a_move_to_another_commune_accepted_there(app, world, login):
    today = clock.today()
    officer_a, officer_b = login("officer_a"), login("officer_b")
    person = _managed_person(officer_a, world)
    moved_on = today - timedelta(days=2)
    response = _move(officer_a, person, world.unit_id["B"], moved_on)
    assert response.status_code == 302, errors_of(response)
    with app.app_context(), system_scope(db.session):
        episode = db.session.scalar(select(StatusEpisode).where(StatusEpisode.person_id == person))
        assert (episode.ended_on, episode.end_reason) == (moved_on, "moved_away")
        legal_end = episode.legal_end_on
        transfer = db.session.scalar(select(CaseTransfer).where(CaseTransfer.person_id == person))
    # the sender's due list no longer asks anything of the person; the receiver's asks to accept
    assert "Lò Văn Đi" not in due_group(officer_a, "")
    assert "Lò Văn Đi" in due_group(officer_b, "incoming_transfer", B)
    # before accepting, the receiver knows who is coming and why, and nothing of the file
    inbox = officer_b.get(f"/u/{B}/transfers/").get_data(as_text=True)
    assert "Lò Văn Đi" in inbox and "Theo gia đình về quê vợ" in inbox and "Xã Quang Trung" in inbox
    assert officer_b.get(f"/u/{B}/persons/{person}").status_code == 404
    assert officer_b.get(f"/u/{B}/transfers/{transfer.id}/form-08.pdf").status_code == 404
    assert officer_a.post(f"/u/{A}/transfers/{transfer.id}/accept", data={"village_id": ""}).status_code == 404
    # the sender prints Form 08
    form_08 = pdf_text(officer_a.get(f"/u/{A}/transfers/{transfer.id}/form-08.pdf"))
    assert "Lò Văn Đi" in form_08 and "Xã Vân Am" in form_08 and day(moved_on) in form_08 and "41/QĐ-UBND" in form_08

    # accepting needs the village; then the file is copied and the term runs on
    refused = officer_b.post(f"/u/{B}/transfers/{transfer.id}/accept", data={"village_id": ""})
    assert refused.status_code == 200 and "Hãy chọn thôn, tổ dân phố nơi người này cư trú." in refused.get_data(
        as_text=True
    )
    accepted = officer_b.post(
        f"/u/{B}/transfers/{transfer.id}/accept", data={"village_id": world.row_id[(Village, "B")]}
    )
    assert accepted.status_code == 302
    received = int(accepted.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    page = officer_b.get(f"/u/{B}/persons/{received}").get_data(as_text=True)
    assert "Lò Văn Đi" in page and "41/QĐ-UBND" in page and "Mẫu 07" in page
    with app.app_context(), system_scope(db.session):
        copy = db.session.scalar(select(StatusEpisode).where(StatusEpisode.person_id == received))
        assert copy.commune_id == world.unit_id["B"] and copy.ended_on is None and copy.legal_end_on == legal_end
        assert db.session.get(Person, received).transfer_id == transfer.id
        audited = db.session.scalars(
            select(AuditEvent.unit_id).where(
                AuditEvent.action == "transfer_accepted", AuditEvent.object_id == str(transfer.id)
            )
        ).all()
        assert sorted(audited) == sorted([world.unit_id["A"], world.unit_id["B"]])  # both ends
    assert "Lò Văn Đi" in due_group(officer_b, "monthly_check", B)
    assert "Lò Văn Đi" not in due_group(officer_b, "incoming_transfer", B)
    # the sender keeps its own past as it was, and sees nothing of what the receiver now keeps
    assert officer_a.get(f"/u/{A}/persons/{person}").status_code == 200
    late = officer_a.post(
        f"/u/{A}/tests/",
        data={
            "person_id": person,
            "lead_id": "",
            "tested_on": day(today),
            "reason": "under_management",
            "sample": "urine",
            "result": "negative",
            "found_by": "commune",
        },
    )
    assert late.status_code == 200 and "Lò Văn Đi đã chuyển đến Xã Vân Am" in late.get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        first = db.session.scalar(select(StatusEpisode).where(StatusEpisode.person_id == person))
        version = first.version
    edit = officer_a.post(f"/u/{A}/persons/{person}/delete")
    assert edit.status_code == 302 and officer_a.get(f"/u/{A}/persons/{person}").status_code == 200  # not deleted
    assert version == 2  # created, then ended by the move; nothing since
    assert officer_a.get(f"/u/{A}/persons/{received}").status_code == 404
    twice = officer_b.post(f"/u/{B}/transfers/{transfer.id}/accept", data={"village_id": world.row_id[(Village, "B")]})
    assert "Việc chuyển đi này đã được giải quyết." in twice.get_data(as_text=True)


def test_only_a_managed_person_moves_with_a_file_and_once(world, login):
    officer_a = login("officer_a")
    today = clock.today()
    plain = new_person(officer_a, world, name="Lò Văn Thường", cccd="038092333333")
    refused = _move(officer_a, plain, world.unit_id["B"], today)
    assert refused.status_code == 200
    assert "chỉ những trường hợp này mới chuyển hồ sơ" in errors_of(refused)
    person = _managed_person(officer_a, world)
    assert "Hãy chọn xã, phường nơi người này chuyển đến" in errors_of(_move(officer_a, person, None, today))
    assert "Ngày này không được ở tương lai." in errors_of(
        _move(officer_a, person, world.unit_id["B"], today + timedelta(days=1))
    )
    foreign = _move(officer_a, person, 999999, today)
    assert "Hãy chọn một xã, phường trong tỉnh." in errors_of(foreign)
    assert 'value="Theo gia đình về quê vợ"' in foreign.get_data(
        as_text=True
    ) or "Theo gia đình về quê vợ" in foreign.get_data(as_text=True)


def test_a_move_out_of_the_province_ends_the_case_here(app, world, login):
    officer_a = login("officer_a")
    today = clock.today()
    person = _managed_person(officer_a, world)
    response = _move(officer_a, person, None, today, destination="Phường Hà Đông, Hà Nội")
    assert response.status_code == 302, errors_of(response)
    with app.app_context(), system_scope(db.session):
        transfer = db.session.scalar(select(CaseTransfer).where(CaseTransfer.person_id == person))
        assert (transfer.state, transfer.destination, transfer.to_commune_id) == (
            "left_province",
            "Phường Hà Đông, Hà Nội",
            None,
        )
    outgoing = officer_a.get(f"/u/{A}/transfers/").get_data(as_text=True)
    assert "Phường Hà Đông, Hà Nội" in outgoing and "Chuyển ra ngoài tỉnh" in outgoing
    assert "Lò Văn Đi" not in due_group(officer_a, "")


def test_a_move_recorded_by_mistake_is_withdrawn_before_the_receiver_accepts(app, world, login):
    officer_a, officer_b = login("officer_a"), login("officer_b")
    person = _managed_person(officer_a, world)
    assert _move(officer_a, person, world.unit_id["B"], clock.today()).status_code == 302
    with app.app_context(), system_scope(db.session):
        transfer = db.session.scalar(select(CaseTransfer).where(CaseTransfer.person_id == person)).id
    assert "Lò Văn Đi" in due_group(officer_b, "incoming_transfer", B)
    response = officer_a.post(f"/u/{A}/transfers/{transfer}/withdraw")
    assert response.status_code == 302
    assert "Đã rút lại việc chuyển đi của Lò Văn Đi" in officer_a.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context(), system_scope(db.session):
        episode = db.session.scalar(select(StatusEpisode).where(StatusEpisode.person_id == person))
        assert (episode.ended_on, episode.end_reason) == (None, None)  # the period runs here again
    assert "Lò Văn Đi" not in due_group(officer_b, "incoming_transfer", B)
    assert (
        officer_b.post(
            f"/u/{B}/transfers/{transfer}/accept", data={"village_id": world.row_id[(Village, "B")]}
        ).status_code
        == 200
    )
    again = officer_a.post(f"/u/{A}/transfers/{transfer}/withdraw")
    assert "Việc chuyển đi này đã được giải quyết." in again.get_data(as_text=True)
    with app.app_context(), system_scope(db.session):
        assert (
            db.session.scalar(
                select(Person).where(Person.commune_id == world.unit_id["B"], Person.transfer_id == transfer)
            )
            is None
        )
