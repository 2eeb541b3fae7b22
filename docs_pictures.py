"""MkDocs hook: pictures a reader can read on a laptop and on a phone (see mkdocs.yml).

Every picture of a page becomes a link to the picture itself, so a tap or a click opens it
full size. A PNG that says how small its smallest text is (the "smallest text pt" entry the
library's `viz.plots.save` writes, with the PNG's dpi) also gets a minimum width at which
that text is still MIN_TEXT_PX tall: on a narrow screen the picture scrolls sideways inside
its link instead of shrinking its text out of reach; the page itself never scrolls sideways.
"""

from __future__ import annotations

import math
import posixpath
import re
from pathlib import Path
from typing import Any

MIN_TEXT_PX = 9.0
TEXT_KEY = "smallest text pt"  # written by tinygrad_edu.viz.plots.save
IMG = re.compile(r"<img\b[^>]*>")
SRC = re.compile(r'\bsrc="([^"]+)"')


def smallest_text_px(path: Path) -> tuple[int, float] | None:
    """(width in pixels, smallest text in pixels) of a PNG that records its smallest text."""
    if path.suffix.lower() != ".png" or not path.is_file():
        return None
    from PIL import Image

    with Image.open(path) as image:
        pt = getattr(image, "text", {}).get(TEXT_KEY)
        dpi = image.info.get("dpi", (72, 72))[0]
        width = image.width
    if pt is None:
        return None
    return width, float(pt) * float(dpi) / 72.0


def _inside_link(html: str, start: int) -> bool:
    """True when position `start` of `html` lies inside an <a> element."""
    before = html[:start]
    return before.rfind("<a ") > before.rfind("</a>")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Wrap each <img> in a link to its file; give legible minimum widths to PNGs that allow it."""
    docs = Path(config["docs_dir"])
    out, last = [], 0
    for m in IMG.finditer(html):
        src = SRC.search(m.group(0))
        if src is None or _inside_link(html, m.start()) or re.match(r"^[a-z]+:", src.group(1)):
            continue
        tag = m.group(0)
        path = docs / posixpath.normpath(posixpath.join(page.url, src.group(1)))  # src is relative to the page
        found = smallest_text_px(path)
        if found is not None:
            width, text_px = found
            min_width = min(width, math.ceil(width * MIN_TEXT_PX / text_px))
            tag = tag.replace("<img ", f'<img style="min-width:{min_width}px" data-min-text-px="{text_px:.2f}" ', 1)
        out.append(html[last : m.start()])
        out.append(
            f'<a class="tge-picture" href="{src.group(1)}" title="open the picture full size" '
            f'style="display:block;overflow-x:auto">{tag}</a>'
        )
        last = m.end()
    out.append(html[last:])
    return "".join(out)
