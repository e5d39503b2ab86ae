"""Checking uploaded photos and documents by their content, and making thumbnails."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Documents recognised by their first bytes.
DOCUMENT_MAGIC = {b"%PDF-": "application/pdf"}
# The stored file's extension comes from the detected type, never from the client's name
# (a GIF named poly.html is stored as .gif and served as image/gif).
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
              "application/pdf": ".pdf"}
THUMBNAIL_SIZE = (320, 320)
# A decompression bomb guard for any decoding elsewhere: Pillow refuses images above twice this.
Image.MAX_IMAGE_PIXELS = settings.EVENT_PHOTO_MAX_PIXELS


@dataclass
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    is_image: bool


def attachment_check(upload) -> CheckedFile:
    """Read an uploaded file and tell what it is; ``ValidationError`` (naming the file)
    for a file too large, empty, or of a type that is not allowed."""
    name = getattr(upload, "name", "") or "file"
    size = getattr(upload, "size", None)
    limit = settings.EVENT_ATTACHMENT_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(_("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit // (1024 * 1024)})
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit // (1024 * 1024)})
    if not content:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    for magic, content_type in DOCUMENT_MAGIC.items():
        if content.startswith(magic):
            return CheckedFile(name, content, content_type, False)
    limit = settings.EVENT_PHOTO_MAX_PIXELS
    too_many = _("%(name)s has too many pixels: at most %(limit).0f megapixels are accepted.")
    try:
        # Image.open reads the header only: the pixel count is known before anything is decoded.
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            width, height = image.size
            if width * height > limit:
                raise ValidationError(too_many % {"name": name, "limit": limit / 1e6})
            image.verify()
    except Image.DecompressionBombError:
        raise ValidationError(too_many % {"name": name, "limit": limit / 1e6}) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        kind = None
    if kind not in IMAGE_TYPES:
        raise ValidationError(
            _("%(name)s is not a photo (JPEG, PNG, WebP, GIF) or a PDF document.") % {"name": name}
        )
    return CheckedFile(name, content, IMAGE_TYPES[kind], True)


def thumbnail_of(content: bytes) -> ContentFile:
    """A JPEG thumbnail, turned upright by the photo's EXIF orientation."""
    with Image.open(io.BytesIO(content)) as image:
        image.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
        image = ImageOps.exif_transpose(image)
        image.thumbnail(THUMBNAIL_SIZE)
        output = io.BytesIO()
        image.convert("RGB").save(output, format="JPEG", quality=80)
    return ContentFile(output.getvalue())


def attachment_response(item, *, thumbnail: bool = False, private: bool = True) -> FileResponse:
    """Serve a stored photo or document: the type detected at upload, never sniffed;
    documents always as a download named after the attachment, never inline and never
    with the client's file name. ``private=False`` (public pages) is never cached."""
    stored = item.thumbnail if thumbnail and item.thumbnail else item.file
    content_type = "image/jpeg" if stored is item.thumbnail else item.content_type
    response = FileResponse(stored.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600" if private else "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if not item.is_image:
        response["Content-Disposition"] = f'attachment; filename="{item.pk}{EXTENSIONS.get(item.content_type, "")}"'
    return response
