"""Uploads judged by their content: the pixel count is checked before anything is decoded
(a small file holding a huge image is refused), the stored extension and the served type
come from the detected content, documents are always downloads named after the
attachment — on the pages and in the API alike."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width=10_900, height=10_900) -> bytes:
    """A tiny PNG whose header says 10,900 × 10,900 pixels (118.8 megapixels)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(buffer, format="GIF")
    return buffer.getvalue()


def test_a_photo_over_the_pixel_limit_is_refused_before_decoding(file, settings):
    content = huge_png()
    assert len(content) < 1000
    with pytest.raises(ValidationError) as refused:
        file(attachments=[SimpleUploadedFile("bomb.png", content, content_type="image/png")])
    assert "too many pixels" in str(refused.value) and "40 megapixels" in str(refused.value)
    settings.EVENT_PHOTO_MAX_PIXELS = 20_000_000
    with pytest.raises(ValidationError) as refused:
        file(attachments=[SimpleUploadedFile("big.png", huge_png(5000, 5000), content_type="image/png")])
    assert "20 megapixels" in str(refused.value)


def test_the_public_page_refuses_the_bomb_with_a_clear_message(client, cast):
    from events.models import Category
    from tests.events.test_pages import public_form

    form = public_form(Category.objects.get(code="0101").pk)
    form["photos"] = SimpleUploadedFile("bomb.png", huge_png(), content_type="image/png")
    response = client.post("/report/", form, REMOTE_ADDR="10.77.0.1")
    assert response.status_code == 200
    assert "像素过多：最多接受 40 百万像素" in response.content.decode()  # the page speaks Chinese first


def test_a_polyglot_named_html_is_stored_and_served_as_the_gif_it_is(file, cast, client):
    event = file(attachments=[SimpleUploadedFile("poly.html", gif() + b"<script>alert(1)</script>", content_type="text/html")])
    item = event.attachments.get()
    assert item.file.name.endswith(".gif") and item.content_type == "image/gif"
    client.force_login(cast["dispatcher"])
    response = client.get(f"/events/{event.pk}/files/{item.pk}/")
    assert response["Content-Type"] == "image/gif" and response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("surface", ["page", "api"])
def test_a_document_is_a_download_named_after_the_attachment(file, cast, client, surface):
    pdf = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF"
    event = file(attachments=[SimpleUploadedFile("<img src=x onerror=alert(1)>.html", pdf, content_type="text/html")])
    item = event.attachments.get()
    assert item.file.name.endswith(".pdf")
    client.force_login(cast["dispatcher"])
    url = f"/events/{event.pk}/files/{item.pk}/" if surface == "page" else f"/api/v1/events/{event.pk}/attachments/{item.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{item.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
