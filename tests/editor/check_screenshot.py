"""Checks that a screenshot of Timbrel's editor shows a rendered egui UI, not a blank window.

    python tests/editor/check_screenshot.py tests/out/editor.png
    python tests/editor/check_screenshot.py --differs a.png b.png X,Y,W,H

Checks, each with its measured value printed:
- the window is at least 400x300 pixels;
- it is not blank: many distinct colours, the most common colour (the background) covers
  < 99 %, and the brightness varies (standard deviation);
- it has egui's dark background (median brightness low);
- text was drawn: many light pixels in the title area (top 15 %), spread over many columns
  (glyphs, not one line), and light pixels across the whole window. With egui's default fonts
  missing, text renders as empty boxes and these counts collapse.
"""

import sys

from PIL import Image, ImageStat


def main(path):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    lum = img.convert("L")
    pixels = list(lum.tobytes())
    colours = img.getcolors(maxcolors=1 << 24)
    distinct = len(colours)
    top_share = max(c for c, _ in colours) / (w * h)
    stddev = ImageStat.Stat(lum).stddev[0]
    median = sorted(pixels)[len(pixels) // 2]

    title_h = max(1, int(h * 0.15))
    title = lum.crop((0, 0, w, title_h))
    tw, th = title.size
    tdata = list(title.tobytes())
    light = [i for i, v in enumerate(tdata) if v >= 170]
    light_cols = len({i % tw for i in light})
    light_rows = len({i // tw for i in light})
    light_all = sum(1 for v in pixels if v >= 170) / len(pixels)

    checks = [
        ("size >= 400x300", f"{w}x{h}", w >= 400 and h >= 300),
        ("distinct colours >= 64", distinct, distinct >= 64),
        ("most common colour < 99 %", f"{top_share:.1%}", top_share < 0.99),
        ("brightness stddev >= 12", f"{stddev:.1f}", stddev >= 12),
        ("dark background (median brightness <= 90)", median, median <= 90),
        ("light pixels in title area >= 100", len(light), len(light) >= 100),
        ("... spread over >= 25 columns", light_cols, light_cols >= 25),
        ("... and >= 6 rows", light_rows, light_rows >= 6),
        ("light pixels in the window >= 0.1 %", f"{light_all:.2%}", light_all >= 0.001),
    ]
    failed = 0
    for name, value, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}: {value}")
        failed += not ok
    if failed:
        print(f"FAIL: {path} does not look like a rendered editor ({failed} checks failed)")
        return 1
    print(f"{path}: the editor rendered")
    return 0


def differs(a_path, b_path, region):
    """Checks that a region (x,y,w,h in window pixels) changed between two screenshots."""
    x, y, w, h = (int(v) for v in region.split(","))
    a = Image.open(a_path).convert("L").crop((x, y, x + w, y + h))
    b = Image.open(b_path).convert("L").crop((x, y, x + w, y + h))
    changed = sum(1 for p, q in zip(a.tobytes(), b.tobytes()) if abs(p - q) > 24)
    share = changed / (w * h)
    ok = changed >= 50
    print(f"  {'ok  ' if ok else 'FAIL'} region {region} changed between the screenshots: {changed} pixels ({share:.2%})")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--differs":
        sys.exit(differs(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "tests/out/editor.png"))
