"""The static files `gridgov demo` and `gridgov serve` collect are fingerprinted and compressed,
and WhiteNoise answers a gzip-capable browser with the compressed copy (Brotli too when the
Brotli package is installed; it is not a dependency)."""

import gzip

import pytest
from django.test import override_settings

from gridgov.ops.management.commands.serve import collect_static_files

COMPRESSED = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": COMPRESSED}
    collect_static_files()
    return tmp_path


def test_collected_files_are_fingerprinted_and_gzipped(collected):
    css = [p for p in (collected / "gridgov").glob("site.*.css")]
    assert len(css) == 1
    compressed = css[0].with_name(css[0].name + ".gz")
    assert gzip.decompress(compressed.read_bytes()) == css[0].read_bytes()
    assert list((collected / "gridgov").glob("favicon.*.svg"))
    assert list((collected / "vendor").rglob("echarts.min.*.js.gz"))


def test_whitenoise_serves_the_gzipped_copy(collected, client, settings):
    from django.contrib.staticfiles.storage import staticfiles_storage

    settings.WHITENOISE_USE_FINDERS = False
    with override_settings(DEBUG=False):
        from whitenoise.middleware import WhiteNoiseMiddleware

        middleware = WhiteNoiseMiddleware(lambda request: None)
        url = staticfiles_storage.url("gridgov/site.css")
        static_file = middleware.files.get(url) or middleware.find_file(url)
    assert static_file is not None
    from django.test import RequestFactory

    response = middleware.serve(static_file, RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate"))
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"] or "max-age" in response["Cache-Control"]


def test_pages_and_json_are_gzipped_and_photos_are_not(client, network):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from gridgov.middleware import CompressTextMiddleware

    page = client.get("/report/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
    assert "Content-Encoding" not in client.get("/report/")  # a client that does not take it
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    photo = CompressTextMiddleware(lambda r: HttpResponse(b"\xff\xd8" * 1000, content_type="image/jpeg"))(request)
    assert "Content-Encoding" not in photo
    data = CompressTextMiddleware(lambda r: HttpResponse(b'{"a": 1}' * 100, content_type="application/json"))(request)
    assert data["Content-Encoding"] == "gzip"
