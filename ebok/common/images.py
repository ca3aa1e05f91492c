"""Uploaded photos (of meters): checked by content, re-encoded as JPEG without metadata, given a new name."""

from __future__ import annotations

import io
import uuid
import warnings

from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; anything bigger is refused as a possible decompression bomb
MAX_SIDE = 2000  # stored photos are scaled down to this; enough to read a meter's digits
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}


class ImageRejected(ValueError):
    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def clean_photo(upload) -> ContentFile:
    """A safe JPEG copy of an uploaded image, or ImageRejected("too_large" | "not_an_image")."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImageRejected("too_large")
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS or probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected("not_an_image")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = image.convert("RGB")
                image.info.clear()  # nothing of the upload's metadata is written back (e.g. a JPEG comment)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=85)  # no EXIF: GPS position and device are dropped
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        if isinstance(error, ImageRejected):
            raise
        raise ImageRejected("not_an_image") from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
