"""Hostile strings typed into every text field of every register come back inert on its pages."""

import re

import pytest
from wtforms import StringField, TextAreaField

from portal.registers.registry import REGISTERS
from tests.isolation.route_inventory import REGISTERS as BODIES

HOSTILE = [
    '"><svg onload=alert(1)>',
    "<script>alert('x')</script>",
    "{{7*7}}",
    "{% raw %}x",
    "javascript:alert(1)",
    'hx-get="/logout" hx-trigger="load"',
    "' onmouseover='alert(1)",
    "</textarea><img src=x onerror=alert(1)>",
    "${7*7}",
    "<iframe src=//evil.example>",
    "&lt;b&gt;",
    '=HYPERLINK("http://x")',
]
# An injected htmx attribute shows as its hx-get (the menu itself uses hx-trigger="load")
RAW = re.compile(r"<svg onload|<script>alert|<img src=x|<iframe src|hx-get=\"/logout\"|onmouseover='alert")


def _text_fields(register) -> list[str]:
    form = register.form(formdata=None, meta={"csrf": False})
    skip = {"household_code", "cccd", "campaign", "code"}  # fields whose format check refuses these anyway
    return [f.name for f in form if isinstance(f, StringField | TextAreaField) and f.name not in skip]


@pytest.mark.parametrize("slug", sorted(s for s, (_param, body) in BODIES.items() if body is not None))
def test_hostile_input_is_shown_as_text(app, world, login, slug):
    register = REGISTERS[slug]
    client = login("officer_a")
    fields = _text_fields(register)
    assert fields, slug
    for n, payload in enumerate(HOSTILE):
        body = BODIES[slug][1](world)
        body.update({name: f"{payload}Z{n}"[:40] for name in fields})  # 40: the shortest limit of a text field
        if slug == "households":
            body["code"] = f"HH-X{n}"
        if slug == "persons":
            body["cccd"] = ""
        if slug == "episodes":  # one closed year each, so that they never overlap
            body.update(started_on=f"01/01/{2000 + n}", ended_on=f"31/12/{2000 + n}", end_reason="other")
        if "campaign" in body:
            body["campaign"] = str(2000 + n)
        response = client.post(f"/u/15085/{slug}/", data=body)
        assert response.status_code == 302, (slug, payload, response.get_data(as_text=True)[-2000:])
        pages = [
            client.get(response.headers["Location"]),
            client.get(f"/u/15085/{slug}/"),
            client.get(f"/u/15085/{slug}/", headers={"HX-Request": "true", "HX-Target": "register-rows"}),
        ]
        for page in pages:
            text = page.get_data(as_text=True)
            assert not RAW.search(text), (slug, payload)
            assert "49Z" not in text  # a template expression typed by a user is never evaluated
        if payload == "{{7*7}}":
            assert "{{7*7}}Z2" in pages[0].get_data(as_text=True)  # it reads as typed
