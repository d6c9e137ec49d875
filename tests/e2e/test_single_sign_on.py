"""Single sign-on end to end: a local OpenID provider, Streamlit's st.login, and the signed-in
email mapped to the person (and so the role) with that email."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_no_exception,
    free_port,
    screenshot,
    seeded_database,
    served_app,
    wait_idle,
)

oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason="oidc-provider-mock missing")


@pytest.fixture(scope="module")
def sso_app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sso")
    with oidc_provider_mock.run_server_in_thread() as provider:
        issuer = f"http://127.0.0.1:{provider.server_port}"
        port = free_port()
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-of-enough-length"\n'
            'client_id = "sales-app"\n'
            'client_secret = "sales-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        )
        with served_app(
            folder, seeded_database(folder), "--secrets.files", str(secrets), port=port
        ) as url:
            yield url


def test_signing_in_through_the_identity_provider_maps_the_email_to_the_role(page, sso_app_url):
    page.goto(sso_app_url)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_placeholder("sub").fill("manager@example.com")
    screenshot(page, "sso-provider-form")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Manager")
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "sso-signed-in-manager")


def test_an_email_the_company_does_not_know_is_refused(page, sso_app_url):
    page.goto(sso_app_url)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_placeholder("sub").fill("stranger@elsewhere.example")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text("is not a user of this system")).to_be_visible(timeout=30_000)
    assert_no_exception(page)


def test_a_single_sign_on_also_starts_a_session_that_a_reload_keeps(page, sso_app_url):
    page.goto(sso_app_url)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_placeholder("sub").fill("manager@example.com")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    wait_idle(page)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("sales_session", "").count(".") == 1, cookies.keys()
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Manager")
    assert_no_exception(page)
