"""Our inputs write their attributes with `attributes`, not WTForms' `html_params`: the same HTML for
every value a form can be given, hostile ones included (security.md's escaping corpus)."""

from markupsafe import Markup
from wtforms.widgets.core import html_params

from portal.auth.forms import PasswordChangeForm
from portal.shell.forms import attributes

HOSTILE = [
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "hx-get=/u/1/persons/",
    "javascript:alert(1)",
    "a'b\"c<d>e&f",
    "Nguyễn Thị Ánh",
    "",
    0,
    12.5,
    Markup('<b title="x">kept</b>'),
]


def test_attributes_write_what_wtforms_writes_for_every_value():
    for value in HOSTILE:
        for params in (
            {"value": value, "id": "f", "name": "n"},
            {"data_x_y": value, "aria_describedby": value, "class_": value, "for_": value},
            {"required": True, "disabled": False, "placeholder": value, "type": "text"},
        ):
            assert attributes(**params) == html_params(**params), (value, params)
            assert isinstance(attributes(**params), Markup)


def test_a_forms_inputs_use_them_and_draw_the_same_field(app):
    with app.test_request_context("/account/password"):
        form = PasswordChangeForm()
        field = form.current_password
        assert field.widget.html_params is attributes
        drawn = field(**{"aria-describedby": '"><svg>', "placeholder": "{{7*7}}"})
        stock = type(field.widget).__mro__[1]()
        assert drawn == stock(field, **{"aria-describedby": '"><svg>', "placeholder": "{{7*7}}"})
