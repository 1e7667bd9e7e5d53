"""The reports in a real browser: Debian's headless Chromium, driven by Playwright, opens them from disk.

Checks that each page loads with no console error and no request leaving the file system, that its key
elements are there and visible, that it fits a phone's width, that it prints, and that HTML in a student's
exception message stays text. Screenshots go to $ARTIFACTS/report-browser (or pytest's tmp folder), and
their folder is printed. Without Chromium the test is skipped, except in CI (CI=true), where it must run.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from autograder.course.config import load_config
from autograder.report import write_reports
from autograder.report.render import write_summary
from autograder.similarity.run import similar
from bench.similarity_corpus import fill, solutions, tasks_of
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "reports"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}

pytestmark = pytest.mark.browser


def _chromium() -> str:
    """Debian's Chromium, or a skip (a failure in CI, where .ci/run installs it)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path, reason = None, "playwright is not installed (pip install -e '.[test]')"
    else:
        reason = "chromium is not installed (apt-get install chromium)"
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the browser test")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = Path(os.environ["ARTIFACTS"]) if os.environ.get("ARTIFACTS") else tmp_path_factory.mktemp("artifacts")
    folder = folder / "report-browser"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nreport screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """The fixture results rendered for students and, in a second folder, for TAs."""
    folders = {}
    for audience in ("student", "ta"):
        out = tmp_path_factory.mktemp(audience) / "results"
        shutil.copytree(FIXTURE, out)
        write_reports(out, audience=audience)
        folders[audience] = out
    return folders


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium with a fresh, empty profile for the whole module."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=executable, headless=True,
            args=CHROMIUM_FLAGS, viewport=DESKTOP)
        yield context
        context.close()


class Page:
    """A page opened from disk, with everything it logged, requested or tried to pop up."""

    def __init__(self, context, path: Path, viewport: dict[str, int] = DESKTOP):
        self.page = context.new_page()
        self.page.set_viewport_size(viewport)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri(), wait_until="load")

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        assert all(url.startswith("file://") for url in self.requests), self.requests

    def fits_width(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    def close(self) -> None:
        self.page.close()


def test_feedback_page_loads_cleanly_with_its_key_elements(browser, reports, artifacts):
    """Does ben's feedback show score, task table, diagnosis and a visible heatmap, with no console error?"""
    page = Page(browser, reports["student"] / "ben" / "feedback.html")
    p = page.page
    assert p.title() == "backprop: feedback for ben"
    assert "34.6667 / 39" in p.inner_text("#score")
    assert p.locator("#tasks tbody tr").count() == 13
    assert p.locator("#tasks tr[data-task='linear_backward'] .badge").inner_text() == "partial"
    assert p.locator(".diagnosis").first.is_visible()
    assert "db is averaged over the batch" in p.locator(".diagnosis").first.inner_text()
    heat = p.locator("svg.heatmap").first
    box = heat.bounding_box()
    assert heat.is_visible() and box["width"] > 100 and box["height"] > 10
    assert heat.locator("rect").count() == 6
    assert p.locator("#ta-banner").count() == 0
    page.assert_clean()
    p.screenshot(path=str(artifacts / "feedback-ben.png"), full_page=True)
    page.close()


def test_feedback_page_fits_a_phone_and_prints(browser, reports, artifacts):
    """Does the widest report (fay's, with a 9 x 5 heatmap) fit a phone's width, and print to PDF?"""
    page = Page(browser, reports["student"] / "fay" / "feedback.html", PHONE)
    assert page.fits_width(), "the page scrolls sideways on a phone"
    page.page.screenshot(path=str(artifacts / "feedback-fay-phone.png"), full_page=True)
    page.page.emulate_media(media="print")
    assert page.page.evaluate("getComputedStyle(document.querySelector('.task')).breakInside") == "avoid"
    pdf = page.page.pdf(path=str(artifacts / "feedback-fay.pdf"), format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.assert_clean()
    page.close()


def test_student_html_in_an_exception_message_stays_text(browser, reports):
    """Does hal's ValueError('<img src=x onerror=alert(1)> ...') show as text, with no image and no alert?"""
    page = Page(browser, reports["student"] / "hal" / "feedback.html")
    assert page.page.locator("img").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.page.inner_text("#details")
    page.assert_clean()
    page.close()


def test_ta_feedback_shows_the_banner_and_hidden_cases(browser, reports, artifacts):
    page = Page(browser, reports["ta"] / "fay" / "feedback-ta.html")
    assert page.page.locator("#ta-banner").is_visible()
    assert page.page.locator("svg.heatmap title").count() == 9 * 5 + 16 * 12  # with every error value
    assert "case 3 (N=40, D=24" in page.page.inner_text("#details")
    page.assert_clean()
    page.page.screenshot(path=str(artifacts / "feedback-fay-ta.png"), full_page=True)
    page.close()


def test_ta_feedback_shows_the_students_code_with_the_failing_line_marked(browser, reports, artifacts):
    """Does hal's TA page show linear_forward as written, its line 2 (the one the error names) marked, the
    `</script><script>` in it as text, and, on a phone, scroll the code inside its box and not the page?"""
    page = Page(browser, reports["ta"] / "hal" / "feedback-ta.html", PHONE)
    code = page.page.locator('section.student-code[data-code="linear_forward"]')
    marked = code.locator(".line.marked")
    assert marked.count() == 1 and marked.locator("mark").is_visible()
    assert marked.locator(".ln").inner_text() == "2"
    assert "</script><script>alert(2)</script>" in marked.inner_text() and page.page.locator("script").count() == 0
    assert marked.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.fits_width(), "the code widens the page on a phone"
    page.assert_clean()
    code.screenshot(path=str(artifacts / "feedback-hal-ta-code.png"))
    page.close()


def test_summary_page_loads_cleanly_with_its_key_elements(browser, reports, artifacts):
    """Does the class summary show the histogram, pass rates, misconceptions, errors and timings?"""
    page = Page(browser, reports["student"] / "summary.html")
    p = page.page
    assert p.locator("#histogram svg.plot").is_visible()
    assert p.locator("#histogram svg.plot g[id^='bin-']").count() == 10
    assert p.locator("#task-rates tbody tr").count() == 13
    assert p.locator("#check-rates tbody tr").count() == 29
    row = p.locator("#misconceptions tr[data-misconception='db-averaged-not-summed']")
    assert row.locator("a").all_inner_texts() == ["ben", "mo"]
    assert p.locator("#troubles tr[data-kind='timeout']").inner_text().startswith("dee")
    assert p.locator("#slowest tbody tr").first.inner_text().startswith("dee")
    page.assert_clean()
    p.screenshot(path=str(artifacts / "summary.png"), full_page=True)
    row.locator("a", has_text="mo").click()  # the links lead to the students' reports
    p.wait_for_load_state("load")
    assert p.url.endswith("/mo/feedback.html") and "34.6667 / 39" in p.inner_text("#score")
    page.assert_clean()
    page.close()


def test_summary_page_fits_a_phone(browser, reports, artifacts):
    page = Page(browser, reports["student"] / "summary.html", PHONE)
    assert page.fits_width(), "the summary scrolls sideways on a phone"
    page.page.screenshot(path=str(artifacts / "summary-phone.png"), full_page=True)
    page.assert_clean()
    page.close()


def test_similarity_page_shows_pairs_side_by_side(browser, tmp_path, artifacts):
    """Does similarity.html, reached from the class summary, show the flagged pair side by side with marks, no
    console error, nothing fetched, and fit a phone?"""
    out = tmp_path / "results"
    shutil.copytree(FIXTURE, out)
    reference = fill((ROOT / "student_template" / "backprop.py").read_text(), solutions("backprop")["reference"],
                     tasks_of("backprop"))
    for name in ("ada", "ben"):
        (tmp_path / f"{name}.py").write_text(reference.replace("    ", "  ") if name == "ben" else reference)
    (tmp_path / "cy.py").write_text(fill((ROOT / "student_template" / "backprop.py").read_text(),
                                         solutions("backprop")["python-loops"], tasks_of("backprop")))
    similar([tmp_path / f"{name}.py" for name in ("ada", "ben", "cy")], assignment="backprop",
            config=load_config(ROOT / "grader.toml"), out_dir=out)
    write_summary(out)
    page = Page(browser, out / "summary.html")
    page.page.locator("#similarity a", has_text="ada and ben share").click()
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith("/similarity.html#pair-1")
    pair = page.page.locator("#pair-1")
    assert pair.is_visible() and "ada and ben share 100% of their code beyond the skeleton" in pair.inner_text()
    assert pair.locator("mark").count() > 10 and pair.locator("mark").first.is_visible()
    left, right = pair.locator(".sides > .left pre").first.bounding_box(), pair.locator(".sides > .right pre").first \
        .bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 1  # side by side
    page.assert_clean()
    page.page.screenshot(path=str(artifacts / "similarity.png"), full_page=True)
    page.close()
    phone = Page(browser, out / "similarity.html", PHONE)
    assert phone.fits_width(), "the similarity page scrolls sideways on a phone"
    phone.page.screenshot(path=str(artifacts / "similarity-phone.png"), full_page=True)
    phone.assert_clean()
    phone.close()
