"""Swagger UI for /api/docs, served from our own origin (no CDN: works offline, fits the CSP)."""

from __future__ import annotations

from flask import Blueprint, Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/api/docs/assets"

bp = Blueprint("docs_assets", __name__)


@bp.get(f"{ASSETS}/<path:filename>")
def swagger_asset(filename: str):
    """One file of the vendored Swagger UI distribution."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def init_app(app: Flask) -> None:
    app.config.update(
        SWAGGER_UI_CSS=f"{ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{ASSETS}/swagger-ui-standalone-preset.js",
    )
    app.register_blueprint(bp)
