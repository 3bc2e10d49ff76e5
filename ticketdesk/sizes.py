"""Sizes of files and limits, written for people."""

from __future__ import annotations


def readable_size(size: int) -> str:
    """A size as people read it: 26214400 bytes is "25 MB", 1024 is "1 KB".

    Files and limits are written alike, so that a file shown as 26 MB is plainly over
    a 25 MB limit (Jinja's `filesizeformat` counts megabytes of 1,000,000 bytes).
    """
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            number = f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
            return f"{number} {unit}"
    return f"{size} bytes"
