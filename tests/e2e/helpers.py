"""Helpers for the browser tests: accessibility checks, screenshots, signing in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, Response, expect

E2E_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = E2E_DIR.parents[1]
AXE_JS = PROJECT_ROOT / "backbone" / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = PROJECT_ROOT / "docs" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Demo:
    """The loaded demo initiative, and where things are on the live server."""

    base_url: str
    slug: str
    password: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def initiative_url(self, path: str = "") -> str:
        return self.url(f"/i/{self.slug}/{path}")

    def org_id(self, name: str) -> int:
        from backbone.core.models import Organization

        return Organization.objects.get(name=name).pk


# --- Accessibility and screenshots ----------------------------------------------------------


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def check_a11y(page: Page) -> None:
    """Run axe-core on the page as it is now; fail listing every violation and where."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {
            runOnly: {type: 'tag', values: tags},
        })).violations""",
        AXE_TAGS,
    )
    assert not violations, _format_violations(page.url, violations)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


def visit(page: Page, url: str, *, status: int = 200) -> Response:
    """Open ``url``, check the status and the page's accessibility."""
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url}: expected {status}, got {response.status}"
    check_a11y(page)
    return response


def sign_in(page: Page, demo: Demo, email: str, password: str | None = None) -> None:
    """Sign in through the real login form; lands on the home page."""
    visit(page, demo.url("/accounts/login/"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password or demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    check_a11y(page)
