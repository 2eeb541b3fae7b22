"""The browser and notebook helpers measure what they claim (on pages built to known sizes)."""

from __future__ import annotations

import base64

import browser as br
import notebooks as nbs
import pytest

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400pt" height="100pt" viewBox="0 0 400 100">'
    '<text x="10" y="50" font-size="10">label</text></svg>'
)
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000185d3ef1b0000000049454e44ae426082"
    )
).decode()


def test_label_height_follows_the_scale_an_svg_is_drawn_at(browser):
    # 400 pt = 533 px wide at natural size: font-size 10 (user units = pt) is 13.3 px tall
    page = br.page_with(browser, br.docs_column({"big": SVG}, width=1000))
    assert [round(label.px, 1) for label in br.inline_labels(page)] == [13.3]
    # in a 266.7 px column it is drawn at half size: 6.7 px, too small
    page = br.page_with(browser, br.docs_column({"big": SVG}, width=266))
    labels = br.small_labels(browser, page)
    assert [(label.text, label.where) for label in labels] == [("label", "big")]
    assert labels[0].px == pytest.approx(13.333 * 266 / 533.33, rel=1e-2)


def test_svg_images_are_measured_at_their_shown_width(browser, tmp_path):
    (tmp_path / "g.svg").write_text('<?xml version="1.0"?>\n' + SVG)
    page = br.page_with(browser, '<img src="g.svg" style="width:200px">', base=tmp_path)
    [label] = br.image_labels(browser, page)
    assert label.where == "g.svg" and label.px == pytest.approx(10 * 200 / 400, rel=1e-2)


def test_broken_images_and_overflow_are_found(browser, tmp_path):
    html = f'<img src="data:image/png;base64,{PNG}"><img src="missing.png"><div style="width:1500px">wide</div>'
    page = br.page_with(browser, html, width=1280, base=tmp_path)
    assert br.broken_images(page) == ["missing.png"]
    assert br.horizontal_overflow(page) == 8 + 1500 - 1280  # the body's 8 px left margin, then the div


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    why = nbs.missing()
    if why:
        pytest.skip(why)
    path = tmp_path_factory.mktemp("nb") / "tiny.py"
    path.write_text(
        "# %%\nimport tinygrad_edu\nprint(tinygrad_edu.__file__)\n\n"
        "# %%\nfrom IPython.display import SVG, display\n"
        f"display(SVG({SVG!r}))\n\n# %%\n1 + 1\n"
    )
    return nbs.run_notebook(path)


def test_notebook_runs_in_a_kernel_with_this_checkout(executed):
    assert not nbs.errors(executed)
    assert nbs.text(nbs.cell_with(executed, "__file__")).startswith(str(nbs.ROOT / "tinygrad_edu"))
    assert len(nbs.images(nbs.cell_with(executed, "display("))) == 1
    assert nbs.text(nbs.cell_with(executed, "1 + 1")).strip() == "2"
