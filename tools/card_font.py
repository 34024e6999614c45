"""Make im_site/fonts/card-sans-bold.woff2, the font social cards fall back to without a brand font.

Pillow's own default font has no umlauts (a card read "Neue ?ffnungszeiten"), so
im-site ships this one: Lato Bold 2.007 (SIL OFL 1.1) from Debian's fonts-lato,
subset to Latin-1, Latin Extended-A (Ł, ő, ş, č: the names of colleagues),
typographic punctuation and the euro sign, renamed as the OFL asks of a
modified font ("Lato" is a Reserved Font Name). Not run by the tests or CI:

    apt-get install -y fonts-lato
    python -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools brotli
    /tmp/ft/bin/python tools/card_font.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/lato/Lato-Bold.ttf")
TARGET = Path(__file__).resolve().parent.parent / "im_site" / "fonts" / "card-sans-bold.woff2"
UNICODES = "U+0020-007E,U+00A0-017F,U+2010-2027,U+2030-203A,U+20AC,U+2122,U+2212"
FAMILY = "im-site Card Sans"


def main() -> None:
    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.layout_features = ["kern", "liga"]
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
    subsetter.subset(font)
    _rename(font)
    TARGET.parent.mkdir(exist_ok=True)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


def _rename(font: TTFont) -> None:
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (4, 18):
            names.setName(f"{FAMILY} Bold", record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 6):
            names.setName("imsiteCardSans-Bold", record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 17:
            names.setName("Bold", record.nameID, record.platformID, record.platEncID, record.langID)


if __name__ == "__main__":
    main()
