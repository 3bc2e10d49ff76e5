"""axe-core's WCAG 2.1 A and AA rules, run in a Playwright page, and a report to act on.

axe-core comes bundled in axe-playwright-python (nothing is fetched from a CDN). It is
put into the page with page.evaluate, which goes through the DevTools protocol: the
app's Content-Security-Policy (script-src 'self', no inline scripts, no eval), which
refuses page.add_script_tag, does not apply to it. So the audit runs against the pages
exactly as the app serves them, with no loosened policy and no `bypass_csp` context.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_AXE = Axe()


def axe_violations(page) -> list[dict]:
    """The WCAG 2.1 A/AA rules the page as it is now breaks, as axe-core reports them."""
    options = {
        "runOnly": {"type": "tag", "values": list(WCAG_21_AA)},
        "resultTypes": ["violations"],
    }
    return _AXE.run(page, options=options).response["violations"]


def describe(violations: list[dict]) -> str:
    """One line per broken rule (id, impact, help), then one per element: selector and why."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " >> ".join(str(part) for part in node["target"])
            # Past the first two, the reasons are the other ways a fix could go.
            why = [line.strip() for line in node["failureSummary"].splitlines()[1:]]
            lines.append(f"    {target}: {' / '.join(why[:2])}{' / …' if why[2:] else ''}")
    return "\n".join(lines)
