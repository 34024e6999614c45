"""Images: widths, markup, metadata stripped, cache reused, bad files reported with file and page."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from PIL import Image, ImageCms, PngImagePlugin

from im_site import images
from im_site.build import build
from im_site.cache import Cache
from im_site.config import load_config
from im_site.options import BuildOptions, read_clock
from im_site.output import OutputSet

from conftest import BASIC_SITE_YAML, NOW, build_site, said, snapshot_tree

REPO = Path(__file__).resolve().parent.parent
SITE_YAML = BASIC_SITE_YAML + "images:\n  widths: [200, 400, 1600]\n"


def jpeg(size: tuple[int, int] = (1000, 500), orientation: int | None = None, icc: bool = False) -> bytes:
    """A JPEG carrying camera, author and GPS EXIF (and optionally an orientation and an sRGB profile)."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((30, 160, 60), (0, 0, size[0] // 2, size[1] // 4))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "CameraModel X"  # Model
    exif[0x013B] = "Jane Photographer"  # Artist
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS IFD: latitude
    if orientation:
        exif[0x0112] = orientation
    options = {"exif": exif.tobytes()}
    if icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def message(body: str, extra: str = "") -> str:
    return f"---\ntitle: Bilder im Markt\ndate: 2026-01-05\n{extra}---\n{body}\n"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("img", "source", "picture"):
            self.found.append((tag, dict(attrs)))


def tags(html: str, tag: str) -> list[dict[str, str | None]]:
    parser = Tags()
    parser.feed(html)
    return [attrs for name, attrs in parser.found if name == tag]


def page_html(root: Path, url: str = "messages/bilder/") -> str:
    return (root / "_site" / url / "index.html").read_text(encoding="utf-8")


def test_widths_and_img_attributes(make_site):
    root = make_site({"content/messages/bilder.md": message("![Obststand am Morgen](../img/obst.jpg)"),
                      "content/img/obst.jpg": jpeg()}, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    img = next(i for i in tags(page_html(root), "img") if i["alt"] == "Obststand am Morgen")
    assert (img["width"], img["height"]) == ("1000", "500")
    assert img["loading"] == "lazy" and img["decoding"] == "async" and img["sizes"]
    widths = [entry.split()[1] for entry in img["srcset"].split(", ")]
    assert widths == ["200w", "400w", "1000w"]  # never wider than the original
    assert img["src"].endswith("-1000.jpg")
    source = tags(page_html(root), "source")[0]
    assert source["type"] == "image/webp" and source["srcset"].count(".webp") == 3
    media = root / "_site" / "media"
    sizes = sorted(Image.open(path).size for path in media.iterdir() if path.suffix == ".webp")
    assert sizes == [(200, 100), (400, 200), (1000, 500)]
    for entry in img["srcset"].split(", "):  # every link resolves from the page's folder
        assert (root / "_site" / "messages" / "bilder" / entry.split()[0]).resolve().is_file()


def test_file_names_with_spaces_percent_and_hash_are_linked_encoded(make_site):
    """`100% Frische.jpg` and `Preisliste #2.txt`: every src, srcset entry and link names the file
    percent-encoded (a raw space splits a srcset entry, `%` starts an escape, `#` a fragment)."""
    root = make_site({"content/messages/bilder.md": message(
        "![Aktion](../img/100%25%20Frische.jpg) [Liste](../files/Preisliste%20%232.txt)"),
        "content/img/100% Frische.jpg": jpeg(), "content/files/Preisliste #2.txt": "Äpfel 1,99\n"},
        site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    html, folder = page_html(root), root / "_site" / "messages" / "bilder"
    img, source = tags(html, "img")[0], tags(html, "source")[0]
    urls = [img["src"]] + [entry.split()[0] for entry in f"{img['srcset']}, {source['srcset']}".split(", ")]
    assert len(urls) == 7 and all("100%25%20Frische." in url for url in urls)
    for url in urls:
        assert (folder / unquote(url)).resolve().is_file(), url
    link = re.search(r'<a href="([^"]*Preisliste[^"]*)"', html)[1]
    assert link == "../../files/files/Preisliste%20%232.txt"
    assert (folder / unquote(link)).read_text(encoding="utf-8") == "Äpfel 1,99\n"


def test_a_leading_slash_starts_from_content_and_a_wrong_folder_names_the_picture_meant(make_site):
    root = make_site({"content/messages/bilder.md": message(
        "![Obst](/img/obst.jpg)\n\n![Falsch](../bilder/obst.jpg)\n\n![Fehlt](fehlt.png)",
        "image: /img/obst.jpg\nimage_alt: Obst\n"), "content/img/obst.jpg": jpeg()}, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "content/messages/bilder.md:9: error[IM110]: image content/bilder/obst.jpg not found "
        "(hint: did you mean /img/obst.jpg? (a leading / starts from content/))",
        "content/messages/bilder.md:11: error[IM110]: image content/messages/fehlt.png not found "
        "(hint: write the path from this file (../assets/bild.jpg) or from content/ (/assets/bild.jpg))",
    ]
    (root / "content/messages/bilder.md").write_text(message("![Obst](/img/obst.jpg)", "image: /img/obst.jpg\nimage_alt: Obst\n"))
    assert build_site(root).exit_code == 0
    assert [img["alt"] for img in tags(page_html(root), "img")] == ["Obst", "Obst"]


def test_a_download_with_a_leading_slash_is_linked_and_a_missing_one_is_named_as_a_download(make_site):
    """`/assets/preise.pdf` starts from content/ as it does for pictures and pages; a download that
    is not there is reported as one, with the folder meant, not with advice about .md pages."""
    body = "[Preise](/assets/preise.pdf)\n\n[Preise](preise.pdf)\n\n[Plan](../assets/plan.xlsx)"
    root = make_site({"content/messages/bilder.md": message(body), "content/assets/preise.pdf": "%PDF-1.4\n"},
                     site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "content/messages/bilder.md:7: error[IM101]: download 'preise.pdf' not found (content/messages/preise.pdf) "
        "(hint: did you mean /assets/preise.pdf? (a leading / starts from content/))",
        "content/messages/bilder.md:9: error[IM101]: download '../assets/plan.xlsx' not found (content/assets/plan.xlsx) "
        "(hint: a download is a file under content/, written from this file (../assets/liste.pdf) "
        "or from content/ (/assets/liste.pdf))",
    ]
    (root / "content/messages/bilder.md").write_text(message("[Preise](/assets/preise.pdf)"), encoding="utf-8")
    assert build_site(root).exit_code == 0
    link = re.search(r'<a href="([^"]*)">Preise</a>', page_html(root))[1]
    assert link == "../../files/assets/preise.pdf"
    assert (root / "_site/messages/bilder" / link).read_text(encoding="utf-8") == "%PDF-1.4\n"


def test_a_missing_front_matter_image_gets_a_hint_that_works_for_image(make_site):
    """`image:` is read from content/: its hint must not suggest a path from the file, which it does not take."""
    root = make_site({"content/messages/bilder.md": message("Text", "image: bilder/fehlt.jpg\nimage_alt: Obst\n")},
                     site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "content/messages/bilder.md:4: error[IM110]: image content/bilder/fehlt.jpg not found "
        "(hint: `image:` is written from content/ (image: assets/bild.jpg))",
    ]


def test_exif_removed_orientation_applied_profile_kept(make_site):
    root = make_site({"content/messages/bilder.md": message("Text", "image: img/hoch.jpg\nimage_alt: Hochformat\n"),
                      "content/img/hoch.jpg": jpeg((600, 300), orientation=6, icc=True)}, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    files = sorted((root / "_site" / "media").iterdir())
    assert files
    for path in files:
        with Image.open(path) as image:
            assert not dict(image.getexif()), path.name
            assert image.info.get("icc_profile"), path.name
            assert image.height > image.width  # rotated upright by the EXIF orientation
            assert b"Jane Photographer" not in path.read_bytes() and b"CameraModel" not in path.read_bytes()
    hero = tags(page_html(root), "img")[0]
    assert (hero["width"], hero["height"]) == ("300", "600") and hero["alt"] == "Hochformat"


def test_rebuild_uses_cache_and_matches_clean_build(make_site, monkeypatch, tmp_path):
    root = make_site({"content/messages/bilder.md": message("![Obst](../img/obst.jpg)"),
                      "content/img/obst.jpg": jpeg()}, site_yaml=SITE_YAML)
    log = tmp_path / "encodes.log"  # a file, so encodes in forked render workers count too
    real = images.encode_variants

    def counting(*args: object) -> list:
        with log.open("a") as stream:
            stream.write("encode\n")
        return real(*args)

    monkeypatch.setattr(images, "encode_variants", counting)
    encodes = lambda: log.read_text().count("encode") if log.exists() else 0  # noqa: E731
    assert build_site(root).exit_code == 0
    first = snapshot_tree(root / "_site")
    assert encodes() == 1
    assert build_site(root).exit_code == 0
    assert encodes() == 1  # the rebuild took every variant from the cache
    assert snapshot_tree(root / "_site") == first
    shutil.rmtree(root / ".im-site-cache")  # safe to delete: a clean build gives the same bytes
    assert build_site(root).exit_code == 0
    assert encodes() == 2
    assert snapshot_tree(root / "_site") == first


def test_pictures_published_as_they_are_lose_gps_author_and_comments_not_pixels(make_site):
    """A photo linked at full size (`[in voller Größe](foto.jpg)`, copied to files/) and an
    animated GIF (copied whole) were published byte for byte: GPS position, author, camera, XMP
    and comments included. Now only that is taken out: the same pixels and frames, the ICC
    profile, a JPEG's orientation and the GIF's loop count stay."""
    photo = jpeg((600, 300), orientation=6, icc=True) + b"\xff\xd8\xff\xe1 appended preview: Jane Photographer"
    png = io.BytesIO()
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Photographer")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPSLatitude 52,31.2N</x:xmpmeta>")
    Image.new("RGB", (30, 20), (10, 120, 60)).save(png, "PNG", pnginfo=text)
    frames = [Image.new("RGB", (20, 20), (80 * i, 40, 40)) for i in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=100,
                   comment=b"Jane Photographer, GPS 52.52N")
    body = "[in voller Größe](../img/foto.jpg)\n\n[Plan](../img/plan.png)\n\n![Animation](../img/laden.gif)"
    root = make_site({"content/messages/bilder.md": message(body), "content/img/foto.jpg": photo,
                      "content/img/plan.png": png.getvalue(), "content/img/laden.gif": gif.getvalue()},
                     site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    published = [root / "_site/files/img/foto.jpg", root / "_site/files/img/plan.png",
                 *(root / "_site/media").glob("laden.*.gif")]
    assert len(published) == 3
    for path, source in zip(published, (photo, png.getvalue(), gif.getvalue())):
        data = path.read_bytes()
        for secret in (b"Jane Photographer", b"CameraModel", b"GPS", b"preview"):
            assert secret not in data, f"{secret!r} in {path.name}"
        with Image.open(io.BytesIO(data)) as after, Image.open(io.BytesIO(source)) as before:
            assert after.size == before.size and getattr(after, "n_frames", 1) == getattr(before, "n_frames", 1)
            for frame in range(getattr(before, "n_frames", 1)):
                before.seek(frame)
                after.seek(frame)
                assert after.convert("RGB").tobytes() == before.convert("RGB").tobytes(), path.name
    with Image.open(published[0]) as photo_after:
        assert dict(photo_after.getexif()) == {0x0112: 6} and photo_after.info.get("icc_profile")
    with Image.open(published[2]) as gif_after:
        assert gif_after.info.get("loop") == 0 and "comment" not in gif_after.info


def test_a_damaged_picture_linked_as_a_download_is_reported_where_it_is_linked(make_site):
    """The error named only the picture's file: the writer had to search the site for the page
    that links it (a replayed page too, since the file broke after that page was cached)."""
    body = "Erster Absatz.\n\n[in voller Größe](../img/kaputt.jpg)"
    root = make_site({"content/messages/bilder.md": message(body), "content/img/kaputt.jpg": jpeg()},
                     site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    (root / "content/img/kaputt.jpg").write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif")  # cut off in the copy
    result = build_site(root)
    assert result.exit_code == 1
    assert said(result, "IM112") == [
        "content/messages/bilder.md:7: error[IM112]: cannot take the metadata out of the picture content/img/kaputt.jpg "
        "linked here: segment at byte 2 runs past the end (hint: save it again in an image editor; a damaged file "
        "could carry GPS and names)"]


INKSCAPE_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:dc="http://purl.org/dc/elements/1.1/" width="40" height="10" viewBox="0 0 40 10"
   sodipodi:docname="logo-final-v3.svg" inkscape:export-filename="/home/jmueller/Marke/logo.png" inkscape:version="1.3">
  <metadata id="metadata5"><rdf:RDF><dc:creator>Jana Müller</dc:creator></rdf:RDF></metadata>
  <sodipodi:namedview id="base" inkscape:zoom="2" />
  <rect width="40" height="10" fill="#1b6b35" inkscape:label="Hintergrund"/>
</svg>
"""


def test_svg_pictures_downloads_and_the_logo_lose_their_author_and_the_path_they_were_drawn_at(make_site):
    """Inkscape writes the author (`<dc:creator>` in `<metadata>`) and the file's name and export path on
    the designer's machine (`/home/<user>/...`) into every SVG, which was published byte for byte as a
    picture, a download and the brand logo. Those go; the drawing stays as written."""
    root = make_site({"content/messages/bilder.md": message("![Logo](../img/logo.svg)\n\n[SVG](../img/logo.svg)"),
                      "content/img/logo.svg": INKSCAPE_SVG},
                     site_yaml=SITE_YAML + "brand:\n  logo: img/logo.svg\n")
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    published = [*(root / "_site/media").glob("logo.*.svg"), root / "_site/files/img/logo.svg",
                 *(root / "_site/assets/brand").glob("logo.*.svg")]
    assert len(published) == 3
    for path in published:
        text = path.read_text(encoding="utf-8")
        for secret in ("Jana Müller", "/home/jmueller", "logo-final-v3", "<metadata"):
            assert secret not in text, f"{secret!r} in {path}"
        assert '<rect width="40" height="10" fill="#1b6b35" inkscape:label="Hintergrund"/>' in text
        assert ET.fromstring(text).get("viewBox") == "0 0 40 10"  # still an SVG, same size


def test_svg_copied_as_is(make_site):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    root = make_site({"content/messages/bilder.md": message("![Logo](../img/logo.svg)"),
                      "content/img/logo.svg": svg}, site_yaml=SITE_YAML)
    assert build_site(root).exit_code == 0
    copied = list((root / "_site" / "media").glob("logo.*.svg"))
    assert [path.read_text() for path in copied] == [svg]
    assert "<svg" not in page_html(root).split("<main", 1)[1]  # shown through <img>, never inlined


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 million pixels in a small file
    return out.getvalue()


def bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    return out.getvalue()


def test_bad_images_are_errors_with_file_and_page(make_site):
    bad = {"kaputt.jpg": jpeg()[:300], "text.png": b"not an image at all", "bombe.png": bomb(), "alt.bmp": bmp()}
    files = {f"content/img/{name}": data for name, data in bad.items()}
    files["content/messages/bilder.md"] = message("\n\n".join(f"![Bild](../img/{name})" for name in bad))
    root = make_site(files, site_yaml=SITE_YAML)
    result = build_site(root)
    assert result.exit_code == 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output
    for name in bad:
        line = next(line for line in output.splitlines() if f"content/img/{name}" in line)
        assert "content/messages/bilder.md" in line and "IM112" in line


def test_social_card_per_message(make_site):
    site_yaml = SITE_YAML.replace("title: Test Intranet\n", "title: Test Intranet\nbase_url: https://intranet.example/\n")
    root = make_site({"content/messages/bilder.md": message("Text"),
                      "content/pages/info.md": "---\ntitle: Info\n---\nText\n"}, site_yaml=site_yaml)
    assert build_site(root).exit_code == 0
    meta = re.search(r'<meta property="og:image" content="([^"]+)">', page_html(root))
    assert meta and meta.group(1).startswith("https://intranet.example/social/")
    card = root / "_site" / meta.group(1).removeprefix("https://intranet.example/")
    with Image.open(card) as image:
        assert image.size == (1200, 630) and image.format == "PNG"
    info = next((root / "_site").rglob("info/index.html")).read_text(encoding="utf-8")
    assert 'property="og:title" content="Info"' in info and "og:image" not in info


def test_cards_of_texts_with_line_breaks_are_drawn_on_one_line(make_site):
    """A brand name or theme text written as a YAML block scalar (`name: |`, `messages_title: >`)
    ends with a line break, and Pillow's text layout failed on it: the build stopped with
    "internal error: RuntimeError: raqm_layout() failed". The card draws it as one line."""
    site_yaml = SITE_YAML.replace("title: Test Intranet\n", "title: Test Intranet\nbase_url: https://intranet.example/\n"
                                  "theme: marke\nbrand:\n  name: |\n    Frisch\n    markt\n")
    theme = "name: marke\nextends: default\nstrings:\n  de:\n    messages_title: >\n      Neues aus dem Markt\n"
    root = make_site({"content/messages/bilder.md": message("Text", 'title: "Zwei\\u2028Zeilen"\n').replace(
                      "title: Bilder im Markt\n", ""), "themes/marke/theme.yaml": theme}, site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.output
    card = re.search(r'<meta property="og:image" content="https://intranet.example/([^"]+)">', page_html(root))
    colors = {"primary": "#1B7F3B", "secondary": "#F2A900", "text": "#1A1A1A", "background": "#FFFFFF"}
    assert (root / "_site" / card[1]).read_bytes() == images.draw_card("Zwei Zeilen", "Neues aus dem Markt",
                                                                        "Frisch markt", colors, None, None)


def test_cards_draw_every_letter_of_a_european_name_and_leave_out_emoji():
    """Without a brand font cards use the bundled one (Pillow's own has no umlauts); a brand font
    lacking a letter of a title (the demo's has no `Ł`) gives way to it; emoji are left out."""
    colors = {"primary": "#1B7F3B", "secondary": "#F2A900", "text": "#1A1A1A", "background": "#FFFFFF"}
    brand_font = (REPO / "content/assets/fonts/heading.woff2").read_bytes()

    def card(title: str, font: bytes | None = None) -> bytes:
        return images.draw_card(title, "Nachrichten", "Frischmarkt", colors, font, None)

    letters = "ÄÖÜäöüß ÉÈÇéèçñ ŁłŚśŻżőűŞşČčŘřĞğ €„“‚‘–—…"
    missing = images._shape(None, "\U000F0000")
    assert [char for char in letters if char != " " and images._shape(None, char) == missing] == []
    assert card("Grüße aus der Zentrale 🎄🎉") == card("Grüße aus der Zentrale")
    assert card("Grüße aus der Zentrale") != card("Gruse aus der Zentrale")
    def title_pixels(png: bytes) -> bytes:  # below the band and the kicker
        with Image.open(io.BytesIO(png)) as drawn:
            return drawn.convert("RGB").crop((0, 262, 1200, 630)).tobytes()

    # The title in the bundled font, the brand name above it still in the brand's.
    assert title_pixels(card("Willkommen, Łukasz", brand_font)) == title_pixels(card("Willkommen, Łukasz"))
    assert title_pixels(card("Willkommen, Lukas", brand_font)) != title_pixels(card("Willkommen, Lukas"))
    with Image.open(io.BytesIO(card("Öffnungszeiten"))) as drawn:
        assert drawn.size == images.CARD_SIZE


def test_messages_with_one_title_share_one_card(make_site):
    """A weekly message keeps its title: its pages, rendered by different processes, share a card."""
    site_yaml = SITE_YAML.replace("title: Test Intranet\n", "title: Test Intranet\nbase_url: https://intranet.example/\n")
    weekly = {f"content/messages/woche-{number:03}.md": f"---\ntitle: Neues aus der Zentrale\ndate: 2026-01-05\n---\nWoche {number}\n"
              for number in range(200)}  # four batches of rendering at least, across the build's processes
    root = make_site(weekly, site_yaml=site_yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.output
    cards = {re.search(r'<meta property="og:image" content="https://intranet.example/([^"]+)">', path.read_text(encoding="utf-8"))[1]
             for path in (root / "_site" / "messages").glob("woche-*/index.html")}
    assert len(cards) == 1 and sorted(path.name for path in (root / "_site" / "social").iterdir()) == [Path(*cards).name]
    # The rebuild replays the pages from the cache, and changing one title gives it a card of its own.
    (root / "content/messages/woche-150.md").write_text("---\ntitle: Sonderausgabe\ndate: 2026-01-05\n---\nText\n", encoding="utf-8")
    assert build_site(root).exit_code == 0
    assert len(list((root / "_site" / "social").iterdir())) == 2


def test_image_variants_and_cards_stay_in_the_cache_not_in_memory(make_site):
    """A build holds where its images and cards are stored, not their bytes (memory would grow
    with the site's images); a store emptied by hand is filled again, to the same output."""
    site_yaml = SITE_YAML.replace("title: Test Intranet\n", "title: Test Intranet\nbase_url: https://intranet.example/\n")
    root = make_site({"content/messages/bilder.md": message("![Obst](../img/obst.jpg)"),
                      "content/img/obst.jpg": jpeg()}, site_yaml=site_yaml)

    def built(use_cache: bool = True) -> OutputSet:
        config = load_config(root / "site.yaml")
        result = build(config, BuildOptions(root / "site.yaml", read_clock(NOW), use_cache=use_cache))
        assert result.ok, result.diagnostics.items
        return result.outputs

    assert build_site(root).exit_code == 0
    written = snapshot_tree(root / "_site")
    outputs = built()
    binary = sorted(path for path in outputs.files if path.startswith(("media/", "social/")))
    assert len(binary) == 7  # three widths, each as JPEG and WebP, and the card
    assert all(outputs.files.is_stored(path) and outputs.files[path] == written[path] for path in binary)
    assert not any(built(use_cache=False).files.is_stored(path) for path in binary)  # no cache: in memory
    shutil.rmtree(root / ".im-site-cache" / Cache.STORE)
    assert build_site(root).exit_code == 0
    assert snapshot_tree(root / "_site") == written
    assert len(list((root / ".im-site-cache" / Cache.STORE).rglob("*"))) > 7


def test_the_file_store_drops_what_no_build_used_for_a_day(tmp_path):
    cache = Cache(tmp_path / "cache")
    keys = [f"{number:064x}" for number in range(1500)]
    for key in keys:
        cache.store(key, b"bytes of " + key.encode())
    old = time.time() - Cache.STORE_GRACE_SECONDS - 60
    for key in keys[:1400]:
        os.utime(cache.stored(key).path, (old, old))
    kept = set(keys[:100])
    assert cache.prune_store(kept) == 1300  # unused and old; the 100 recent ones may be another build's
    assert all(cache.stored(key) is not None for key in kept | set(keys[1400:]))
    assert all(cache.stored(key) is None for key in keys[100:1400])
    assert cache.prune_store(kept) == 0  # 200 files for 100 in use: within the slack


def test_a_large_jpeg_is_decoded_smaller_and_its_variants_keep_their_sizes():
    """A photo twice as wide as the widest variant is decoded at half size (libjpeg's scaling),
    never below that width upright; an image turned by EXIF is measured upright."""
    wide, turned = jpeg((3400, 1700)), jpeg((3400, 1700), orientation=6)
    assert images.open_checked(wide, 1600).size == (1700, 850) and images.open_checked(wide).size == (3400, 1700)
    assert images.open_checked(turned, 1600).size == (3400, 1700)  # 1700 wide upright: half would be too narrow
    assert [(ext, w, h) for ext, w, h, _ in images.encode_variants(wide, (480, 960, 1600), 82)] == [
        (".jpg", 480, 240), (".webp", 480, 240), (".jpg", 960, 480), (".webp", 960, 480), (".jpg", 1600, 800), (".webp", 1600, 800)]
    assert [(w, h) for ext, w, h, _ in images.encode_variants(turned, (480, 960, 1600), 82) if ext == ".jpg"] == [
        (480, 960), (960, 1920), (1600, 3200)]
