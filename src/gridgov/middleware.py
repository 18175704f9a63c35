"""Request middleware shared by every app."""

from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user picked another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language header, so an office
    PC with an English browser would get an English UI nobody asked for. Here only the language
    cookie written by ``set_language`` counts.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# What compresses well; photos and uploads are compressed already (their bytes would only cost CPU).
COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript", "application/xml")


class CompressTextMiddleware(GZipMiddleware):
    """Pages, JSON and GeoJSON gzip-compressed for a client that takes it (static files come
    compressed from WhiteNoise already). On a slow phone connection the report page's HTML and
    the district's outlines were a third of its weight, and the inbox's HTML at 1,000 open cases
    four fifths of its own (``gridgov bench pages``). Django's GZipMiddleware adds random bytes
    to each compressed response against BREACH (with its masked CSRF tokens) and makes ETags weak."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    The pages load only their own scripts and styles (no inline script, style attribute or event
    handler: tests/browser fail on any CSP report), so the policy allows 'self' alone, plus
    ``data:``/``blob:`` images (the QR code of the second factor, photo previews) and the
    optional base-map tile server. The report and map pages use the browser's position and
    camera, so Permissions-Policy allows those to this origin and nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = content_security_policy(settings.GRIDGOV_TILE_URL)
        self.permissions = settings.GRIDGOV_PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


def tile_source(tile_url: str) -> str:
    """The CSP source that covers a Leaflet tile URL template (``https://t{s}.host/...`` →
    ``https://*.host``), or "" when there is none."""
    from urllib.parse import urlsplit

    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "a"))
    if not parts.scheme or not parts.hostname:
        return ""
    host = parts.hostname
    if "{s}" in tile_url.split("//", 1)[-1].split("/", 1)[0]:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(tile_url: str = "") -> str:
    tiles = tile_source(tile_url)
    images = " ".join(filter(None, ["'self'", "data:", "blob:", tiles]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "media-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
