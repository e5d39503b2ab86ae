"""The Content Security Policy of every response (django-csp), in one place.

Strict: scripts, styles, fonts and data come from the platform itself; no inline script
or style and no eval anywhere (data for scripts travels in ``json_script`` blocks, which
are not executed). Images may also be ``data:`` (Bootstrap's icons) and ``blob:`` (photo
previews before upload), and come from the configured map tile server. Violations are
reported to ``/csp-report/`` and logged (``governance.csp``).
"""

from urllib.parse import urlsplit

from csp.constants import NONE, SELF


def tile_origin(map_tile_url: str) -> str | None:
    """The origin of the tile URL pattern (``{s}`` subdomains become ``*``), or None."""
    if not map_tile_url:
        return None
    parts = urlsplit(map_tile_url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def csp_directives(*, map_tile_url: str) -> dict:
    images = [SELF, "data:", "blob:"]
    origin = tile_origin(map_tile_url)
    if origin:
        images.append(origin)
    return {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": images,
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report/",
    }
