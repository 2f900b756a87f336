"""What a viewer may not see, a viewer cannot work out (issue 19, finding 1): no sorting on a hidden
field, and nothing derived from test results (missed cases, their due items, their drill-down)."""

from datetime import timedelta

from portal import clock
from portal.persons.models import Person

A = "15085"


def _positive_from_another_body(client, world) -> None:
    person = world.row_id[(Person, "A")]
    body = {"person_id": person, "lead_id": "", "tested_on": (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y")}
    body |= {"reason": "found_using", "sample": "urine", "result": "positive", "found_by": "traffic_police"}
    assert client.post(f"/u/{A}/tests/", data=body).status_code == 302


def test_a_viewer_cannot_sort_by_a_hidden_field(world, login):
    for field in ("result", "-result"):
        viewer = login("viewer_a").get(f"/u/{A}/tests/?sort={field}").get_data(as_text=True)
        officer = login("officer_a").get(f"/u/{A}/tests/?sort={field}").get_data(as_text=True)
        assert f'name="sort" value="{field}"' in officer
        assert f'name="sort" value="{field}"' not in viewer and 'name="sort" value="-tested_on"' in viewer


def test_what_derives_from_test_results_is_hidden_from_a_viewer(world, login):
    officer, viewer = login("officer_a"), login("viewer_a")
    _positive_from_another_body(officer, world)
    assert "Trường hợp sót lọt: chưa đưa vào quản lý" in officer.get(f"/u/{A}/due/").get_data(as_text=True)
    assert "Trường hợp sót lọt" not in viewer.get(f"/u/{A}/due/").get_data(as_text=True)
    assert officer.get(f"/u/{A}/missed-cases/").status_code == 200
    assert viewer.get(f"/u/{A}/missed-cases/").status_code == 404
    assert viewer.get(f"/u/{A}/missed-cases/export.xlsx").status_code == 404
    assert f'href="/u/{A}/missed-cases/"' not in viewer.get(f"/u/{A}/").get_data(as_text=True)
    drill = viewer.get(f"/u/{A}/criteria/C3a/").get_data(as_text=True)
    assert "Chỉ cán bộ được xem thông tin cá nhân mới thấy các bản ghi này" in drill
    assert f'href="/u/{A}/missed-cases/' not in drill


def test_a_viewer_sees_no_personal_free_text(world, login):
    """Episode notes and decision fields, support notes and who signed a household's pledge (finding 5)."""
    officer, viewer = login("officer_a"), login("viewer_a")
    person = world.row_id[(Person, "A")]
    episode = {"person_id": person, "kind": "released_offender", "started_on": "01/03/2025", "term_months": ""}
    episode |= {"post_rehab_after": "", "ended_on": "", "end_reason": "", "decision_on": "01/03/2025"}
    episode |= {"decision_number": "77/QĐ-BÍMẬT", "decision_signer": "Ông Ký Tên", "notes": "Ghi chú kín về gia đình"}
    created = officer.post(f"/u/{A}/episodes/", data=episode)
    assert created.status_code == 302
    page = created.headers["Location"]
    for secret in ("77/QĐ-BÍMẬT", "Ông Ký Tên", "Ghi chú kín về gia đình"):
        assert secret in officer.get(page).get_data(as_text=True)
        assert secret not in viewer.get(page).get_data(as_text=True), secret
    pledge = {"household_code": "HH-A", "campaign": "2026", "signed_on": "05/01/2026", "signer_name": "Bà Người Ký"}
    signed = officer.post(f"/u/{A}/household-commitments/", data={**pledge, "refusal_reason": ""})
    assert signed.status_code == 302
    assert "Bà Người Ký" in officer.get(signed.headers["Location"]).get_data(as_text=True)
    assert "Bà Người Ký" not in viewer.get(signed.headers["Location"]).get_data(as_text=True)
