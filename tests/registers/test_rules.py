"""The law's rules as the registers apply them: CCCD checks, legal terms, impossible histories."""

from datetime import date

import pytest

from portal.persons.cccd import cccd_problems, sample_cccd
from portal.persons.legal_terms import add_months, allowed_terms, conflicts, legal_end

BORN = date(1990, 5, 1)


def _texts(problems):
    return [str(p) for p in problems]


def test_a_consistent_cccd_passes(app):
    with app.test_request_context():
        assert cccd_problems("038090123456", BORN, "male") == []
        assert cccd_problems("038 190 123 456", BORN, "female") == []  # spaces are ignored
        assert cccd_problems("001303000001", date(2003, 1, 1), "female") == []
        assert cccd_problems(sample_cccd(date(2001, 2, 3), "male", "079", 42), date(2001, 2, 3), "male") == []


@pytest.mark.parametrize(
    ("number", "born", "sex", "message"),
    [
        ("03809012345", BORN, "male", "Số CCCD gồm 12 chữ số; số vừa nhập có 11 chữ số."),
        ("03809012345X", BORN, "male", "Số CCCD chỉ gồm chữ số."),
        ("039090123456", BORN, "male", "Ba chữ số đầu (039) không phải mã tỉnh nơi đăng ký khai sinh."),
        ("038190123456", BORN, "male", "Chữ số thứ tư (1) dành cho nữ, nhưng người này là nam."),
        ("038090123456", BORN, "female", "Chữ số thứ tư (0) dành cho nam, nhưng người này là nữ."),
        ("038290123456", BORN, "male", "Chữ số thứ tư (2) không khớp với thế kỷ của năm sinh (1990)."),
        ("038091123456", BORN, "male", "Chữ số thứ 5–6 (91) phải là hai số cuối của năm sinh (1990)."),
    ],
)
def test_each_kind_of_cccd_mistake_gets_its_own_vietnamese_message(app, number, born, sex, message):
    with app.test_request_context():
        assert message in _texts(cccd_problems(number, born, sex))


def test_the_prefix_is_the_birth_province_not_the_residence(app):
    """A person born in Hà Nội (001) who lives in Thanh Hóa has a valid 001 number."""
    with app.test_request_context():
        assert cccd_problems("001090123456", BORN, "male") == []


@pytest.mark.clock
def test_legal_terms():
    start = date(2025, 1, 31)
    assert legal_end("user_managed", start, None, None) == date(2026, 1, 31)  # 1 year from the decision
    assert legal_end("rehab_home", start, 6, None) == date(2025, 7, 31)
    assert legal_end("post_rehab", start, None, "voluntary") == date(2026, 1, 31)
    assert legal_end("post_rehab", start, None, "compulsory_adult") == date(2027, 1, 31)  # 2 years
    assert legal_end("post_rehab", start, None, "compulsory_juvenile") == date(2026, 1, 31)
    assert legal_end("methadone", start, None, None) is None  # open-ended treatment
    assert legal_end("addict", start, None, None) is None
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@pytest.mark.clock
def test_compulsory_rehab_terms_change_on_1_july_2026():
    assert allowed_terms("rehab_compulsory", date(2026, 6, 30)) == tuple(range(12, 25))
    assert allowed_terms("rehab_compulsory", date(2026, 7, 1)) == (24,)  # a first treatment
    assert allowed_terms("rehab_compulsory", date(2026, 7, 1), repeat=True) == (36,)  # a repeat
    assert allowed_terms("rehab_compulsory", date(2026, 6, 30), repeat=True) == tuple(range(12, 25))
    # a minor (12 to under 18): 6-12 months, before and after the change
    assert allowed_terms("rehab_compulsory", date(2026, 6, 30), age=15) == tuple(range(6, 13))
    assert allowed_terms("rehab_compulsory", date(2026, 7, 1), age=17, repeat=True) == tuple(range(6, 13))
    assert allowed_terms("rehab_home", date(2026, 7, 1)) == tuple(range(6, 13))


def test_which_situations_exclude_each_other():
    assert conflicts("user_managed", "rehab_home")  # exclusive pair
    assert conflicts("addict", "user_managed")  # an addict is not managed as a user
    assert conflicts("prison", "released_offender")
    assert conflicts("addict", "addict")  # the same situation twice
    assert not conflicts("addict", "rehab_home")  # treatment runs while addicted
    assert not conflicts("addict", "methadone")
    assert not conflicts("released_offender", "user_managed")
