"""Checking uploaded photos and documents by their content, and making thumbnails."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Documents recognised by their first bytes.
DOCUMENT_MAGIC = {b"%PDF-": "application/pdf"}
THUMBNAIL_SIZE = (320, 320)
# A decompression bomb guard: no photo needs more pixels than this.
Image.MAX_IMAGE_PIXELS = 60_000_000


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
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
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
