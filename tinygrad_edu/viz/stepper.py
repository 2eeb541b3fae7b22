"""A self-contained HTML stepper: frames (SVG pictures) with captions, one at a time, with
Previous / Next buttons and a slider. No server and no network: the pictures, the style and
the few lines of script are all in the HTML, so it works offline, in a saved file and in a
Jupyter notebook (`_repr_html_`). Without JavaScript every frame shows, one under another.
"""

from __future__ import annotations

import hashlib
import html
import os
from pathlib import Path

_STYLE = """
#{id} {{font-family: Helvetica, Arial, sans-serif; max-width: 100%; margin: .5em 0}}
#{id} .tge-controls {{display: flex; gap: .6em; align-items: center; flex-wrap: wrap; margin-bottom: .4em}}
#{id} .tge-controls input[type=range] {{flex: 1 1 10em; min-width: 6em}}
#{id} button {{font-size: 14px; padding: .25em .8em; cursor: pointer}}
#{id} .tge-count {{font-size: 14px; min-width: 7em}}
#{id} .tge-caption {{font-size: 15px; line-height: 1.45; white-space: pre-line; margin: .3em 0 .6em 0}}
#{id} .tge-frame svg {{max-width: 100%; height: auto; display: block}}
#{id}.tge-js .tge-frame {{display: none}}
#{id}.tge-js .tge-frame.tge-on {{display: block}}
#{id}:not(.tge-js) .tge-controls {{display: none}}
"""

_SCRIPT = """
(function () {{
  var root = document.getElementById("{id}");
  if (!root || root.classList.contains("tge-js")) return;
  root.classList.add("tge-js");
  var frames = root.querySelectorAll(".tge-frame"), n = frames.length;
  var slider = root.querySelector("input[type=range]"), count = root.querySelector(".tge-count");
  var prev = root.querySelector(".tge-prev"), next = root.querySelector(".tge-next");
  function show(k) {{
    k = Math.max(0, Math.min(n - 1, k));
    for (var i = 0; i < n; i++) frames[i].classList.toggle("tge-on", i === k);
    slider.value = k; root.dataset.frame = k;
    count.textContent = k === 0 ? "start" : "step " + k + " of " + (n - 1);
    prev.disabled = k === 0; next.disabled = k === n - 1;
  }}
  prev.addEventListener("click", function () {{ show(+root.dataset.frame - 1); }});
  next.addEventListener("click", function () {{ show(+root.dataset.frame + 1); }});
  slider.addEventListener("input", function () {{ show(+slider.value); }});
  root.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowLeft") show(+root.dataset.frame - 1);
    if (e.key === "ArrowRight") show(+root.dataset.frame + 1);
  }});
  show(0);
}})();
"""


def _svg_element(svg: str) -> str:
    """An SVG document's <svg> element (no XML prolog or DOCTYPE), for inlining in HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


class Stepper:
    """Frames with captions, shown one at a time. `_repr_html_` makes it display in Jupyter;
    `.html()` is the fragment, `.save(path)` writes a whole page."""

    def __init__(self, svgs: list[str], captions: list[str], title: str = "") -> None:
        if len(svgs) != len(captions):
            raise ValueError(
                f"Stepper: {len(svgs)} pictures but {len(captions)} captions; give one caption per picture"
            )
        if not svgs:
            raise ValueError("Stepper: no frames to show")
        self.svgs = svgs
        self.captions = captions
        self.title = title
        digest = hashlib.sha1("".join(svgs + captions).encode("utf-8")).hexdigest()[:10]
        self.id = f"tge-stepper-{digest}"  # the same frames give the same page

    def __len__(self) -> int:
        return len(self.svgs)

    def html(self) -> str:
        """The stepper as an HTML fragment (style, frames, script), for embedding in a page."""
        n = len(self.svgs)
        frames = "".join(
            f'<div class="tge-frame" data-k="{k}"><p class="tge-caption">{html.escape(caption)}</p>'
            f"{_svg_element(svg)}</div>"
            for k, (svg, caption) in enumerate(zip(self.svgs, self.captions))
        )
        title = f"<b>{html.escape(self.title)}</b>" if self.title else ""
        return (
            f'<div class="tge-stepper" id="{self.id}" tabindex="0">'
            f"<style>{_STYLE.format(id=self.id)}</style>{title}"
            '<div class="tge-controls">'
            '<button type="button" class="tge-prev" aria-label="previous step">&#9664; Previous</button>'
            f'<input type="range" min="0" max="{n - 1}" value="0" step="1" aria-label="step">'
            '<button type="button" class="tge-next" aria-label="next step">Next &#9654;</button>'
            f'<span class="tge-count">start</span></div>{frames}'
            f"<script>{_SCRIPT.format(id=self.id)}</script></div>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a complete HTML page holding the stepper; returns the path."""
        title = html.escape(self.title or "stepper")
        page = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body style="margin: 1em auto; max-width: 960px; padding: 0 1em">{self.html()}</body></html>'
        )
        out = Path(path)
        out.write_text(page, encoding="utf-8")
        return out

    def __repr__(self) -> str:
        return f"<Stepper: {len(self.svgs)} frames>"
