"""axe-core's WCAG 2.1 A and AA rules, run in a Playwright page, and what axe cannot measure.

axe-core comes bundled in axe-playwright-python (nothing is fetched from a CDN). It is
put into the page with page.evaluate, which goes through the DevTools protocol: the
app's Content-Security-Policy (script-src 'self', no inline scripts, no eval), which
refuses page.add_script_tag, does not apply to it. So the audit runs against the pages
exactly as the app serves them, with no loosened policy and no `bypass_csp` context.

axe leaves out WCAG 1.4.11 (non-text contrast): a focus ring or a field's border needs
3:1 against the colour beside it. `ring_contrast` and `border_contrast` measure that.
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_AXE = Axe()

# The colour an element is drawn on: the first ancestor (from `start`) with a background.
_BACKDROP = """(start) => {
    for (let el = start; el; el = el.parentElement) {
        const colour = getComputedStyle(el).backgroundColor;
        if (!/rgba\\(.*, 0\\)$|^transparent$/.test(colour)) return colour;
    }
    return "rgb(255, 255, 255)";
}"""


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


def ring_contrast(page) -> tuple[str, float]:
    """The focused element's outline, and its contrast with what it is drawn on.

    The ring sits outside the element (outline-offset), so it is drawn on the parent's
    background. No outline at all measures 1.0.
    """
    ring, backdrop = page.evaluate(
        f"""() => {{
            const style = getComputedStyle(document.activeElement);
            const ring = style.outlineStyle === "none" || parseFloat(style.outlineWidth) === 0
                ? null : style.outlineColor;
            return [ring, ({_BACKDROP})(document.activeElement.parentElement)];
        }}"""
    )
    if ring is None:
        return "none", 1.0
    return ring, contrast(ring, backdrop)


def border_contrast(field) -> float:
    """A form field's border against the colour around the field."""
    border, backdrop = field.evaluate(
        f"el => [getComputedStyle(el).borderTopColor, ({_BACKDROP})(el.parentElement)]"
    )
    return contrast(border, backdrop)


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two CSS rgb()/rgba() colours (alpha ignored: opaque)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", colour)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
