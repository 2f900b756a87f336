"""Every register's pages open in the browser, in Vietnamese, accessible, with no console error."""

import pytest
from playwright.sync_api import expect

from portal.registers.registry import REGISTERS
from portal.workspace.registers import ORDER
from tests.browser.test_journeys import _log_in

pytestmark = pytest.mark.browser


def test_every_register_list_form_and_record_page(page, checks, base_url):
    _log_in(page, checks, base_url, "officer_a")
    for slug in ORDER:
        register = REGISTERS[slug]
        page.goto(f"{base_url}/u/15085/{slug}/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).not_to_be_empty()
        checks.accessible()
        if register.can_create:
            page.goto(f"{base_url}/u/15085/{slug}/new")
            expect(page.locator("#register-editor form")).to_be_visible()
            checks.accessible()
        page.goto(f"{base_url}/u/15085/{slug}/")
        page.locator("#register-rows tbody tr").first.get_by_role("link").first.click()
        expect(page.get_by_role("heading", name="Lịch sử thay đổi")).to_be_visible()
        checks.accessible()
