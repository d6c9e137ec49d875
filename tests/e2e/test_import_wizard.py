"""The import wizard in a real browser: another CRM's deal export with its own column and stage
names is uploaded, mapped, previewed (a bad file first: problems as a table), then imported."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, screenshot, sign_in, wait_idle

HEADER = "Opportunity,Account,Agent,Phase,Value,Opened,Closed\n"
GOOD = HEADER + (
    "OPP-1,Wizard Test Account,rep@example.com,Prospecting,1000,2025-01-10,\n"
    "OPP-2,Wizard Test Account,rep@example.com,Closed Won,2500.50,2025-01-10,2025-03-01\n"
)
BAD = HEADER + (
    "OPP-1,Wizard Test Account,ghost@example.com,Prospecting,1000,2025-01-10,\n"
    "OPP-2,Wizard Test Account,rep@example.com,Closed Won,,2025-01-10,2025-03-01\n"
    "OPP-3,Wizard Test Account,rep@example.com,Prospecting,-5,10/01/2025,\n"
)
COLUMNS = {
    "Opportunity": "external_id",
    "Account": "customer",
    "Agent": "owner",
    "Phase": "stage",
    "Value": "amount",
    "Opened": "created_on",
    "Closed": "closed_on",
}


def choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox, retrying when a rerun swallowed the click."""
    wait_idle(page)
    box = page.get_by_role("combobox", name=label)
    for _attempt in range(4):
        box.click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.click(timeout=4_000)
        except Exception:
            page.keyboard.press("Escape")
            wait_idle(page)
            continue
        expect(box).to_have_value(option, timeout=10_000)
        wait_idle(page)
        return
    screenshot(page, "import-choose-failed")
    raise AssertionError(f"could not choose {option} for {label}")


def upload(page, path) -> None:
    """Upload a file and wait until the page has read it. The file is set again only when the
    uploader shows no chip for it (a rerun replaced the input before it took the file): setting
    it again while an upload is on its way starts that upload over."""
    wait_idle(page)
    chip = page.get_by_test_id("stFileChip").first  # its name is shortened in the middle
    for _attempt in range(3):
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
        try:
            expect(chip).to_be_visible(timeout=15_000)
        except AssertionError:
            wait_idle(page)
            continue
        expect(page.get_by_text(f"{path.name}: ")).to_be_visible(timeout=60_000)
        wait_idle(page)
        return
    screenshot(page, "import-upload-failed")
    zone = page.get_by_test_id("stFileUploaderDropzone")
    state = page.get_by_test_id("stApp").get_attribute("data-test-script-state")
    raise AssertionError(
        f"{path.name} did not upload: the uploader showed no chip for it after 3 tries "
        f"(dropzone aria-disabled={zone.get_attribute('aria-disabled')}, script {state})"
    )


def test_a_director_maps_previews_and_imports_another_crms_deals(
    page, app_url, console_errors, tmp_path
):
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in(page, app_url, "director")
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Import and export").click()
    expect(page.get_by_role("heading", name="Import and export")).to_be_visible(timeout=30_000)
    wait_idle(page)
    choose(page, "What does the file hold?", "deals")

    bad = tmp_path / "crm-deals-bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    upload(page, bad)
    for source, field in COLUMNS.items():
        choose(page, f"'{source}' is", field)
    expect(page.get_by_text("3 · Map stage names")).to_be_visible()
    choose(page, "'Closed Won' becomes", "Won")
    page.get_by_text("Create customers that are not found").click()
    expect(page.get_by_role("checkbox", name="Create customers that are not found")).to_be_checked()
    wait_idle(page)
    screenshot(page, "import-1-mapping")
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.get_by_text(re.compile(r"Nothing was imported: \d+ problem"))).to_be_visible(
        timeout=30_000
    )
    wait_idle(page)
    screenshot(page, "import-2-problems")
    problems = page.locator('[data-testid="stDataFrame"]').last
    expect(problems).to_be_visible()

    good = tmp_path / "crm-deals.csv"
    good.write_text(GOOD, encoding="utf-8")
    upload(page, good)
    page.get_by_role("button", name="Preview (dry run)").click()
    try:
        expect(page.get_by_text("Preview: nothing has been written yet.")).to_be_visible(
            timeout=30_000
        )
    except AssertionError:
        screenshot(page, "import-preview-failed")
        raise
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetric"]')
    expect(metrics.first).to_contain_text("2")
    screenshot(page, "import-3-preview")
    page.get_by_label("Save this mapping as").fill("Other CRM deals")
    page.get_by_label("Save this mapping as").press("Enter")
    wait_idle(page)
    page.get_by_text("The stage mapping is right").click()  # the user confirms the stages
    wait_idle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_test_id("stAlertContentSuccess").get_by_text("Imported 2 deals rows.")
    ).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "import-4-done")
    choose(page, "Start from a saved mapping", "Other CRM deals")  # the preset was saved
    assert_no_exception(page)
    assert not console_errors, console_errors
