"""/api/docs: Swagger UI served from our own origin, with no CDN and no inline script.

The page is ours rather than APIFlask's (whose template starts Swagger UI with an
inline script), so it works offline and under the same strict Content-Security-Policy
as every other page.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("docs_assets", __name__, template_folder="templates")
STATIC = Path(__file__).parent / "static"


@bp.get("/api/docs")
def docs_page():
    """Interactive API documentation, generated from /api/openapi.json."""
    return render_template("api_docs.html", title=current_app.title, version=current_app.version)


@bp.get("/api/docs/assets/docs.js")
def docs_script():
    """The script that starts Swagger UI on the docs page."""
    return send_from_directory(STATIC, "docs.js", max_age=3600)


@bp.get("/api/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    """One file of the vendored Swagger UI distribution."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def init_app(app) -> None:
    app.register_blueprint(bp)
