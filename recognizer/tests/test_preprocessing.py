"""Unit tests for recognizer.preprocessing: no database, no Django, no model."""

from __future__ import annotations

import base64
import io
import struct
import tracemalloc

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFile, features

from recognizer import preprocessing as pp
from recognizer.tests.images import ink_side, png_bytes, png_chunk, png_declaring
from training.strokes import (
    TEMPLATES,
    drawn_digit,
    drawn_digit_png,
    render_strokes,
    upload_png,
    upload_side,
    variant_count,
)

# An "L"-like shape with its mass off the middle of its bounding box.
STROKES = [[(60.0, 40.0), (60.0, 120.0), (110.0, 120.0)], [(60.0, 40.0), (95.0, 45.0)]]


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def canvas_rgba(strokes=STROKES, *, pen_width: float = 18.0) -> Image.Image:
    """The page's canvas: black strokes, transparent everywhere else."""
    return Image.open(io.BytesIO(render_strokes(strokes, pen_width=pen_width))).convert("RGBA")


def on_white(image: Image.Image) -> Image.Image:
    paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
    paper.alpha_composite(image)
    return paper.convert("RGB")


def mass_center(array: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(array.shape)
    total = array.sum()
    return float((array * ys).sum() / total), float((array * xs).sum() / total)


def jpeg_declaring(width: int, height: int) -> bytes:
    """A JPEG start: SOI and a baseline frame header claiming width x height."""
    frame = struct.pack(">BHHB3B", 8, height, width, 1, 1, 0x11, 0)
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame + b"\xff\xd9"


@pytest.fixture
def reference() -> np.ndarray:
    return pp.preprocess(png_bytes(canvas_rgba()))


# --- the output ----------------------------------------------------------------------------------


def test_it_returns_28x28_float32_in_unit_range(reference):
    assert reference.shape == (28, 28)
    assert reference.dtype == np.float32
    assert reference.min() == 0.0
    assert reference.max() == pytest.approx(1.0)


def test_it_centres_the_mass_at_index_14_like_mnist():
    strokes = [[(x + 120, y + 110) for x, y in s] for s in STROKES]  # far from the middle
    for shifted in (STROKES, strokes):
        cy, cx = mass_center(pp.preprocess(png_bytes(canvas_rgba(shifted))))
        assert abs(cy - pp.MASS_TARGET) <= 0.5
        assert abs(cx - pp.MASS_TARGET) <= 0.5


def test_it_gives_the_same_picture_wherever_the_digit_is_drawn(reference):
    moved = [[(x + 130, y + 100) for x, y in s] for s in STROKES]
    assert np.abs(pp.preprocess(png_bytes(canvas_rgba(moved))) - reference).max() < 0.02


def test_the_longer_side_becomes_20_and_a_tall_thin_stroke_stays_thin():
    image = canvas_rgba([[(140.0, 30.0), (140.0, 250.0)]])
    result = pp.preprocess(png_bytes(image))
    rows = np.flatnonzero(result.any(axis=1))
    cols = np.flatnonzero(result.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert height == 20
    assert width <= 3


def test_a_wide_stroke_fills_the_width_not_the_height():
    result = pp.preprocess(png_bytes(canvas_rgba([[(30.0, 140.0), (250.0, 150.0)]])))
    cols = np.flatnonzero(result.any(axis=0))
    rows = np.flatnonzero(result.any(axis=1))
    assert cols[-1] - cols[0] + 1 == 20
    assert rows[-1] - rows[0] + 1 <= 4


def test_black_ink_on_white_becomes_white_ink_on_black():
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).rectangle((100, 60, 130, 220), fill=0)
    result = pp.preprocess(png_bytes(image))
    assert result[14, 14] == pytest.approx(1.0)  # ink is high
    assert result[0, 0] == 0.0 and result[27, 27] == 0.0  # paper is zero


def test_light_ink_on_a_dark_ground_is_taken_as_it_is():
    # An MNIST-style upload (white digit on black) must not be inverted into a white square.
    dark = Image.fromarray(255 - np.asarray(on_white(canvas_rgba()).convert("L")))
    np.testing.assert_allclose(
        pp.preprocess(png_bytes(dark)), pp.preprocess(png_bytes(on_white(canvas_rgba()))), atol=0.01
    )


# --- colour modes --------------------------------------------------------------------------------


def test_a_transparent_canvas_equals_the_same_strokes_on_white(reference):
    # A naive convert("L") would make the transparent (0, 0, 0, 0) page black.
    white = pp.preprocess(png_bytes(on_white(canvas_rgba())))
    np.testing.assert_allclose(reference, white, atol=0.01)


def test_it_reads_grey_plus_alpha(reference):
    la = canvas_rgba().convert("LA")
    np.testing.assert_allclose(pp.preprocess(png_bytes(la)), reference, atol=0.01)


def test_it_reads_palette_images_with_and_without_transparency(reference):
    plain = on_white(canvas_rgba()).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    np.testing.assert_allclose(pp.preprocess(png_bytes(plain)), reference, atol=0.03)

    # Transparent background via a palette entry (tRNS), ink opaque black.
    grey = np.asarray(on_white(canvas_rgba()).convert("L"))
    indexed = Image.fromarray(np.where(grey > 127, 1, 0).astype(np.uint8), mode="P")
    indexed.putpalette([0, 0, 0, 0, 0, 0])  # both entries black: only tRNS makes index 1 paper
    result = pp.preprocess(png_bytes(indexed, transparency=1))
    assert result.shape == (28, 28)
    assert np.abs(result - reference).mean() < 0.05


def test_it_reads_16_bit_greyscale(reference):
    grey = np.asarray(on_white(canvas_rgba()).convert("L"), dtype=np.uint16) * 257
    image = Image.fromarray(grey.astype(np.uint16))
    data = png_bytes(image)
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    np.testing.assert_allclose(pp.preprocess(data), reference, atol=0.01)


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_it_reads_jpeg(reference, mode):
    data = jpeg_bytes(on_white(canvas_rgba()).convert(mode))
    assert np.abs(pp.preprocess(data) - reference).mean() < 0.03


def test_the_png_format_wins_over_a_jpeg_name():
    # The format comes from the bytes; a PNG posted as "digit.jpg" is still a PNG.
    assert pp.sniff_format(png_bytes(canvas_rgba())) == "PNG"


def test_a_hidpi_canvas_gives_the_same_picture(reference):
    hidpi = render_strokes(STROKES, pen_width=18.0, scale=2.0)
    assert Image.open(io.BytesIO(hidpi)).size == (560, 560)
    assert np.abs(pp.preprocess(hidpi) - reference).mean() < 0.02


# --- what the page uploads (static/js/canvas.js, uploadImage) ------------------------------------


def test_a_big_drawing_is_uploaded_scaled_down_to_the_ink_preprocessing_uses():
    strokes = drawn_digit(5, np.random.default_rng(2), size=220, center=(140, 140))
    upload = upload_png(strokes)
    side = Image.open(io.BytesIO(upload)).size[0]
    assert side == upload_side(strokes) < 200
    assert pp.UPLOAD_INK_SIDE - 3 <= ink_side(upload) <= pp.UPLOAD_INK_SIDE + 1
    full = pp.preprocess(render_strokes(strokes, pen_width=18.0))
    assert np.abs(pp.preprocess(upload) - full).mean() < 0.02


def test_a_small_drawing_is_uploaded_as_the_canvas_is():
    strokes = drawn_digit(5, np.random.default_rng(2), size=60, center=(200, 90))
    assert upload_side(strokes) == 280
    assert upload_png(strokes) == render_strokes(strokes, pen_width=18.0)


def test_an_uploaded_dot_is_still_only_a_dot():
    # The page scales the whole canvas, margins and all, so rules that look at the ink's share
    # of the page see the same drawing.
    with pytest.raises(pp.NothingDrawn, match="dot"):
        pp.preprocess(upload_png([[(140.0, 140.0)]]))


# --- nothing drawn -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (280, 280), 255),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("RGB", (280, 280), (235, 235, 235)),  # light grey paper, no ink
    ],
    ids=["white", "transparent", "light-grey"],
)
def test_a_blank_image_is_nothing_drawn(image):
    with pytest.raises(pp.NothingDrawn, match="Nothing was drawn"):
        pp.preprocess(png_bytes(image))


def test_a_few_stray_pixels_are_nothing_drawn():
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    for xy in [(10, 10), (200, 40), (41, 250), (42, 250), (150, 151)]:
        image.putpixel(xy, (0, 0, 0, 255))
    with pytest.raises(pp.NothingDrawn):
        pp.preprocess(png_bytes(image))


def test_a_single_click_dot_is_nothing_drawn():
    with pytest.raises(pp.NothingDrawn, match="dot"):
        pp.preprocess(render_strokes([[(140.0, 140.0)]], pen_width=18.0))


def test_a_small_but_real_digit_is_not_a_dot():
    strokes = drawn_digit(0, np.random.default_rng(1), size=60, variation=0.0)
    assert pp.preprocess(render_strokes(strokes, pen_width=18.0)).max() == pytest.approx(1.0)


# --- refusals ------------------------------------------------------------------------------------


def test_a_tiny_png_declaring_100000x100000_pixels_is_too_large_without_allocating():
    data = png_declaring(100_000, 100_000)
    assert len(data) < 100
    tracemalloc.start()
    try:
        with pytest.raises(pp.ImageTooLarge, match="100000x100000 pixels; the limit is 2048x2048"):
            pp.preprocess(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_the_pixel_count_limit_applies_too():
    with pytest.raises(pp.ImageTooLarge, match="limit is 4,000,000 pixels"):
        pp.preprocess(png_declaring(2048, 2000))


def test_a_png_that_would_inflate_past_8_mb_is_too_large():
    # 2000x1500 is within the pixel limits, but as RGBA it inflates to 11 MB.
    header = struct.pack(">IIBBBBB", 2000, 1500, 8, 6, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")
    with pytest.raises(pp.ImageTooLarge, match="4 bytes .11 MB decoded.; the limit is 8 MB"):
        pp.preprocess(data)
    assert pp.declared_size(png_declaring(2000, 1500), "PNG").decoded_bytes == 3_000_000


def test_a_large_progressive_jpeg_is_too_large_but_a_baseline_one_is_shrunk():
    image = on_white(canvas_rgba()).resize((1800, 1800))
    progressive, baseline = io.BytesIO(), io.BytesIO()
    image.save(progressive, format="JPEG", progressive=True)
    image.save(baseline, format="JPEG")
    with pytest.raises(pp.ImageTooLarge, match="progressive JPEG of 1800x1800"):
        pp.preprocess(progressive.getvalue())
    assert pp.preprocess(baseline.getvalue()).max() == pytest.approx(1.0)


def test_a_real_4000x4000_png_is_refused_before_it_is_decoded():
    # Issue 8: an 82 KB PNG of 4000x4000 pixels used to cost ~0.9 s and ~180 MB to preprocess.
    image = Image.new("L", (4000, 4000), 255)
    ImageDraw.Draw(image).line([(1000, 500), (2000, 3500), (3000, 500)], fill=0, width=200)
    data = png_bytes(image, optimize=True)
    assert len(data) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(pp.ImageTooLarge, match="4000x4000 pixels; the limit is 2048x2048"):
            pp.preprocess(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the 16 M pixels were never allocated


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_a_large_accepted_upload_is_shrunk_while_decoding(image_format):
    # The largest accepted side, drawn like the canvas: the work copy is at most 1024 px a side
    # (a JPEG decoded at a reduced DCT scale, a PNG box-averaged) and the digit is the same.
    small = on_white(canvas_rgba()).convert("L")
    large = small.resize((2000, 2000), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    large.save(buffer, format=image_format)
    data = buffer.getvalue()
    page = pp.page_from_image(pp.decode_image(data))
    assert max(page.height, page.width) <= pp.WORK_MAX_SIDE
    if image_format == "JPEG":
        assert pp.decode_image(data).size == (1000, 1000)  # libjpeg scaled it by 1/2
    result = pp.preprocess(data)
    reference = pp.preprocess(png_bytes(small))
    assert np.abs(result - reference).mean() < 0.03


def test_a_jpeg_declaring_a_huge_frame_is_too_large():
    with pytest.raises(pp.ImageTooLarge, match="60000x50000"):
        pp.preprocess(jpeg_declaring(60_000, 50_000))


def test_pillows_own_bomb_guard_is_mapped_to_too_large():
    # With our limits lifted, Pillow's DecompressionBombError must still not escape.
    with pytest.raises(pp.ImageTooLarge):
        pp.preprocess(
            png_declaring(100_000, 100_000),
            max_side=10**6,
            max_pixels=10**12,
            max_decoded_bytes=10**12,
        )


def test_a_canvas_is_composited_only_where_it_is_opaque(reference):
    # The page is cropped to its opaque pixels before compositing; the answer must be the same as
    # working on the whole page, also when the ink touches the edge (no crop then).
    page = pp.page_from_image(pp.decode_image(png_bytes(canvas_rgba())))
    assert max(page.paper.shape) < 280 and (page.height, page.width) == (280, 280)
    whole = pp.flatten_onto_white(canvas_rgba())
    chained = pp.center_by_mass(
        pp.stretch_contrast(
            pp.fit_into_box(
                pp.normalize_stroke_width(
                    pp.fit_into_box(pp.crop_to_ink(pp.to_ink(whole)), box=pp.WORK_SIDE)
                )
            )
        )
    )
    np.testing.assert_array_equal(reference, chained)
    edge = [[(0.0, 20.0), (0.0, 260.0), (120.0, 260.0)]]
    at_edge = canvas_rgba(edge)
    assert at_edge.getbbox(alpha_only=True)[0] == 0
    assert pp.preprocess(png_bytes(at_edge)).max() == pytest.approx(1.0)


def test_the_limits_are_parameters():
    data = png_bytes(on_white(canvas_rgba()))
    with pytest.raises(pp.ImageTooLarge, match="280x280 pixels; the limit is 100x100"):
        pp.preprocess(data, max_side=100)


def test_a_truncated_png_is_invalid():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = png_bytes(on_white(canvas_rgba()))
    with pytest.raises(pp.InvalidImage, match="truncated or corrupt"):
        pp.preprocess(data[: len(data) // 2])


def test_a_png_with_a_corrupt_header_is_invalid():
    with pytest.raises(pp.InvalidImage):
        pp.preprocess(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, world", bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8))],
    ids=["empty", "text", "random"],
)
def test_bytes_that_are_not_an_image_are_invalid(data):
    with pytest.raises(pp.InvalidImage):
        pp.preprocess(data)


def test_a_string_instead_of_bytes_is_invalid():
    with pytest.raises(pp.InvalidImage, match="bytes"):
        pp.preprocess("iVBORw0KGgo=")  # type: ignore[arg-type]


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "TIFF", "WEBP"])
def test_other_real_image_formats_are_unsupported(image_format):
    if image_format == "WEBP" and not features.check("webp"):
        pytest.skip("this Pillow has no WebP encoder")
    buffer = io.BytesIO()
    on_white(canvas_rgba()).save(buffer, format=image_format)
    with pytest.raises(pp.UnsupportedImage, match="not supported; send a PNG or JPEG"):
        pp.preprocess(buffer.getvalue())


def test_an_animated_png_is_unsupported():
    frames = [on_white(canvas_rgba()), Image.new("RGB", (280, 280), "white")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(buffer.getvalue())).n_frames == 2
    with pytest.raises(pp.UnsupportedImage, match="Animated"):
        pp.preprocess(buffer.getvalue())


def test_every_refusal_is_an_image_error_and_a_value_error():
    for cls in (pp.InvalidImage, pp.UnsupportedImage, pp.ImageTooLarge, pp.NothingDrawn):
        assert issubclass(cls, pp.ImageError)
        assert issubclass(cls, ValueError)
    assert pp.NothingDrawn("x").message == "x"


# --- the steps on their own ----------------------------------------------------------------------


def test_center_by_mass_clips_the_shift_so_no_ink_is_cut_off():
    fitted = np.zeros((20, 20), dtype=np.float32)
    fitted[0, 0] = 1.0  # all the mass in a corner: the full shift would push it out
    fitted[19, 19] = 0.01
    field = pp.center_by_mass(fitted)
    assert field.sum() == pytest.approx(fitted.sum())
    assert field[8, 8] == 1.0  # moved towards the middle as far as the frame allows


def test_center_by_mass_puts_a_symmetric_box_in_the_middle():
    field = pp.center_by_mass(np.ones((20, 10), dtype=np.float32))
    rows = np.flatnonzero(field.any(axis=1))
    cols = np.flatnonzero(field.any(axis=0))
    assert (rows[0], rows[-1]) == (5, 24)  # mass at 14.5 -> rounded shift, within half a pixel
    assert (cols[0], cols[-1]) == (10, 19)


def test_fit_into_box_keeps_the_aspect_ratio_and_the_ink():
    crop = np.ones((200, 50), dtype=np.float32)
    fitted = pp.fit_into_box(crop)
    assert fitted.shape == (20, 5)
    assert fitted.mean() == pytest.approx(1.0)


def test_stroke_width_measures_a_ribbon():
    ink = np.zeros((80, 80), dtype=np.float32)
    ink[10:70, 30:40] = 1.0
    assert pp.stroke_width(ink) == pytest.approx(10.0, rel=0.2)


def test_the_pen_width_is_normalised_towards_mnists():
    # The canvas pen is fixed while people draw at any size: without normalising, a big digit
    # comes out hair-thin and a small one bold.
    strokes = drawn_digit(3, np.random.default_rng(5), size=250, variation=0.0)
    thin, thick = (render_strokes(strokes, pen_width=w) for w in (6.0, 40.0))
    raw = [pp.preprocess(data, normalize_width=False).sum() for data in (thin, thick)]
    normalised = [pp.preprocess(data).sum() for data in (thin, thick)]
    assert raw[1] / raw[0] > 2.5
    assert 0.75 < normalised[1] / normalised[0] < 1.33


def test_normalize_stroke_width_leaves_mnist_like_strokes_alone():
    ink = np.zeros((80, 80), dtype=np.float32)
    ink[5:75, 35:45] = 1.0
    assert pp.normalize_stroke_width(ink) is ink


def test_to_ink_drops_light_noise():
    paper = np.array([[255, 242, 128, 0]], dtype=np.uint8)
    ink = pp.to_ink(paper)
    assert ink.dtype == np.float32
    assert ink[0, 0] == 0.0 and ink[0, 1] == 0.0
    assert 0.4 < ink[0, 2] < 0.5
    assert ink[0, 3] == 1.0


def test_crop_to_ink_returns_the_bounding_box():
    ink = np.zeros((100, 100), dtype=np.float32)
    ink[10:60, 30:40] = 1.0
    ink[70, 90] = 0.1  # below the threshold: not part of the box
    assert pp.crop_to_ink(ink).shape == (50, 10)


# --- data URLs -----------------------------------------------------------------------------------


def test_decode_data_url_reads_png_data_urls_and_bare_base64():
    data = png_bytes(on_white(canvas_rgba()))
    encoded = base64.b64encode(data).decode()
    assert pp.decode_data_url("data:image/png;base64," + encoded) == data
    assert pp.decode_data_url(encoded) == data
    assert pp.decode_data_url("DATA:Image/JPEG;base64," + encoded) == data
    # As the `base64` tool and MIME write it: wrapped every 76 characters.
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert pp.decode_data_url(wrapped + "\n") == data
    assert pp.decode_data_url("data:image/png;base64,\r\n" + wrapped) == data


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("data:image/png;base64,not base64!", pp.InvalidImage),
        ("data:image/png;base64,iVBORw0KGgo", pp.InvalidImage),  # missing padding
        ("iVBORw0K\nGgo!", pp.InvalidImage),  # line breaks are skipped, junk is not
        (" \n\t ", pp.InvalidImage),  # only whitespace
        ("data:image/png;base64,", pp.InvalidImage),
        ("data:image/png,rawbytes", pp.InvalidImage),  # not base64-encoded
        ("data:image/png;base64", pp.InvalidImage),  # no comma
        ("", pp.InvalidImage),
        ("data:text/plain;base64,aGVsbG8=", pp.UnsupportedImage),
        ("data:image/gif;base64,R0lGODlh", pp.UnsupportedImage),
    ],
)
def test_decode_data_url_refuses_junk_with_a_clear_error(text, error):
    with pytest.raises(error) as caught:
        pp.decode_data_url(text)
    assert caught.value.message


@pytest.mark.parametrize("value", [None, b"iVBORw0KGgo=", 42, {"image": "x"}])
def test_decode_data_url_refuses_non_strings(value):
    with pytest.raises(pp.InvalidImage, match="string"):
        pp.decode_data_url(value)  # type: ignore[arg-type]


def test_the_models_view_round_trips_through_a_png_data_url(reference):
    url = "data:image/png;base64," + base64.b64encode(pp.to_png_bytes(reference)).decode()
    image = Image.open(io.BytesIO(pp.decode_data_url(url)))
    assert (image.format, image.mode, image.size) == ("PNG", "L", (28, 28))
    back = np.asarray(image, dtype=np.float32) / 255.0
    np.testing.assert_allclose(back, reference, atol=0.5 / 255 + 1e-6)
    assert np.argmax(back) == np.argmax(reference)  # white ink on black, as the model sees it


def test_to_png_bytes_accepts_a_channel_axis_and_refuses_other_shapes(reference):
    assert pp.to_png_bytes(reference[..., None]) == pp.to_png_bytes(reference)
    with pytest.raises(ValueError, match="2-D"):
        pp.to_png_bytes(np.zeros((2, 28, 28)))


# --- the stroke generator the benchmarks rely on -------------------------------------------------


def test_drawn_digits_are_reproducible_and_stay_on_the_canvas():
    first = drawn_digit(7, np.random.default_rng(42), size=250, center=(30.0, 260.0))
    again = drawn_digit(7, np.random.default_rng(42), size=250, center=(30.0, 260.0))
    assert first == again
    points = np.array([p for stroke in first for p in stroke])
    assert points.min() >= 9.0 and points.max() <= 271.0  # half the pen inside the edge
    assert points[:, 1].max() - points[:, 1].min() > 200  # the requested size, within the room


@pytest.mark.parametrize("digit", range(10))
def test_every_template_draws_and_preprocesses(digit):
    rng = np.random.default_rng(digit)
    assert variant_count(digit) == len(TEMPLATES[digit]) >= 2
    for variant in range(variant_count(digit)):
        for pen_width in (10.0, 28.0):
            data = drawn_digit_png(digit, rng, variant=variant, pen_width=pen_width)
            result = pp.preprocess(data)
            assert result.shape == (28, 28)
            assert abs(mass_center(result)[0] - pp.MASS_TARGET) <= 0.5
