"""What making an image's preview costs the upload that brings it, and what it saves.

    python -m bench.previews

Draws images of the sizes helpdesks receive (a phone's photo, screenshots of a 4K and
a full-HD screen), then times `make_preview` on each, median of seven, in one process.
The photo is made of blurred noise: the worst case for the preview's size.
"""

from __future__ import annotations

import io
import os
import statistics
import time

from PIL import Image, ImageDraw

from ticketdesk.services.previews import make_preview

RUNS = 7
LINE = r"Error 0x80070005: access denied opening C:\Users\ann\Q3 report.xlsx  "


def photo(width: int, height: int) -> bytes:
    pixels = os.urandom(width // 8 * height // 8 * 3)
    noise = Image.frombytes("RGB", (width // 8, height // 8), pixels)
    out = io.BytesIO()
    noise.resize((width, height), Image.Resampling.BICUBIC).save(out, "JPEG", quality=92)
    return out.getvalue()


def screenshot(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for top in range(0, height, 18):
        draw.text((10, top), LINE * 3, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def main() -> None:
    images = {
        "photo, 12 MP JPEG": photo(4000, 3000),
        "screenshot, 4K PNG": screenshot(3840, 2160),
        "screenshot, full-HD PNG": screenshot(1920, 1080),
    }
    print(f"{'image':<26} {'bytes':>10} {'preview':>10} {'ms (median)':>12}")
    for name, data in images.items():
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            preview = make_preview(io.BytesIO(data))
            times.append(time.perf_counter() - started)
        size = f"{len(preview):,}" if preview else "none"
        print(f"{name:<26} {len(data):>10,} {size:>10} {statistics.median(times) * 1e3:>12.1f}")


if __name__ == "__main__":
    main()
