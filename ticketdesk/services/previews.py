"""Previews: small pictures of large images, for a ticket page to show in their place.

A ticket page shows each attached image in a box of at most 20 x 15 rem, 640 x 480
pixels on a high-density screen, and a phone's photo is 3-8 MB: a ticket with a few
of them cost megabytes a visit. An image larger than the box is drawn again at that
size when it is stored, as WebP. Drawing it anew also turns it the way its camera
said (EXIF orientation), and leaves out its metadata (where a photo was taken).

Only the decoders of the four image types shown inline ever see the bytes, and only
for images of at most MAX_PIXELS as decoded: the header is read before any pixel is.
"""

from __future__ import annotations

import io
import logging
from typing import BinaryIO

from PIL import Image, ImageOps

log = logging.getLogger(__name__)

PREVIEW_BOX = (640, 480)
PREVIEW_TYPE = "image/webp"
# Pixels decoded at most: 100 MB (RGBA), a 5K screenshot's 15 million pass. A JPEG
# decodes at a fraction of its size, so a phone's 48-megapixel photo decodes as 0.75.
MAX_PIXELS = 25_000_000
_DECODERS = ("PNG", "JPEG", "GIF", "WEBP")
# What a damaged or hostile image makes Pillow raise while reading or drawing it.
_UNREADABLE = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def make_preview(stream: BinaryIO) -> bytes | None:
    """A WebP of the image in `stream` fitting PREVIEW_BOX; or None when the image needs
    none (it fits already, or it moves: a preview would stop it) or cannot have one (not
    an image Pillow reads here, damaged, or over MAX_PIXELS as decoded)."""
    try:
        with Image.open(stream, formats=_DECODERS) as image:
            if not _wants_preview(image):
                return None
            # A JPEG decodes at 1/2, 1/4 or 1/8 of its size when asked: a tenth of the time.
            longest = max(PREVIEW_BOX)
            image.draft("RGB", (longest, longest))
            if image.width * image.height > MAX_PIXELS:
                return None
            return _drawn_small(image)
    except _UNREADABLE as error:
        log.info("no preview for an image: %s", error)
        return None


def _wants_preview(image: Image.Image) -> bool:
    width, height = image.size
    if getattr(image, "is_animated", False):
        return False
    # Turned by its orientation, a photo may fit the box the other way round.
    return max(width, height) > max(PREVIEW_BOX) or min(width, height) > min(PREVIEW_BOX)


def _drawn_small(image: Image.Image) -> bytes:
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail(PREVIEW_BOX)
    keeps_transparency = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    upright = upright.convert("RGBA" if keeps_transparency else "RGB")
    out = io.BytesIO()
    upright.save(out, "WEBP", quality=80, method=0)
    return out.getvalue()
