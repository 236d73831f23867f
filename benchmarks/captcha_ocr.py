"""How often off-the-shelf OCR reads anemo.captcha images: ``python benchmarks/captcha_ocr.py``.

A quality check run by hand (run.py does not discover it). It renders ``--count`` captchas of
random texts, runs Debian's ``tesseract`` on each after several common preprocessing strategies,
and reports the share read exactly, per strategy and by any of them. Two controls show what the
pipeline can do: the same texts drawn plainly (OCR should read most) and the ``captcha`` package's
ImageCaptcha, the popular peer. Images go to tesseract in batches, one process per core, so a few
hundred images take a minute or two.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from anemo.captcha import ALPHABET, render

Preprocess = Callable[[Image.Image], Image.Image]
Renderer = Callable[[str, int], Image.Image]


def otsu_level(gray: Image.Image) -> int:
    """The grey level that best splits ``gray`` into dark and light (Otsu's method)."""
    histogram = gray.histogram()
    total = sum(histogram)
    sum_all = sum(level * count for level, count in enumerate(histogram))
    best_level, best_between = 0, -1.0
    weight_low = sum_low = 0
    for level, count in enumerate(histogram):
        weight_low += count
        sum_low += level * count
        weight_high = total - weight_low
        if weight_low and weight_high:
            mean_low, mean_high = sum_low / weight_low, (sum_all - sum_low) / weight_high
            between = weight_low * weight_high * (mean_low - mean_high) ** 2
            if between > best_between:
                best_level, best_between = level, between
    return best_level


def binarize(gray: Image.Image) -> Image.Image:
    level = otsu_level(gray)
    return gray.point(lambda value: 255 if value > level else 0)


def grey_x3(image: Image.Image) -> Image.Image:
    gray = ImageOps.grayscale(image)
    return gray.resize((gray.width * 3, gray.height * 3), Image.Resampling.BICUBIC)


def darkest_channel_x3(image: Image.Image) -> Image.Image:
    """Per pixel the darkest of R, G, B: coloured ink on a pale ground all turns dark."""
    red, green, blue = image.convert("RGB").split()
    darkest = ImageChops.darker(ImageChops.darker(red, green), blue)
    return darkest.resize((darkest.width * 3, darkest.height * 3), Image.Resampling.BICUBIC)


def framed(image: Image.Image) -> Image.Image:
    """Tesseract reads text touching the edge badly: give it a white frame."""
    return ImageOps.expand(image, border=24, fill=255)


STRATEGIES: dict[str, Preprocess] = {
    "as is": lambda image: image,
    "grey x3": lambda image: framed(grey_x3(image)),
    "grey x3 + Otsu": lambda image: framed(binarize(grey_x3(image))),
    "median 3 + grey x3 + Otsu": lambda image: framed(
        binarize(grey_x3(image.filter(ImageFilter.MedianFilter(3))))
    ),
    "grey x3 + Otsu + opening (drops thin lines, dots)": lambda image: framed(
        binarize(grey_x3(image)).filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5))
    ),
    "darkest channel x3 + Otsu": lambda image: framed(binarize(darkest_channel_x3(image))),
}
PAGE_MODES = (7, 8)  # a single line of text; a single word


def tesseract(paths: list[Path], psm: int) -> list[str]:
    """Tesseract's reading of each image, from one process for the whole batch.

    Tesseract 5.3 dies of SIGFPE on a few images in page mode 7; the batch is then halved until the
    culprit is alone, and it counts as unread.
    """
    try:
        return _tesseract_batch(paths, psm)
    except subprocess.CalledProcessError:
        if len(paths) == 1:
            return [""]
        half = len(paths) // 2
        return tesseract(paths[:half], psm) + tesseract(paths[half:], psm)


def _tesseract_batch(paths: list[Path], psm: int) -> list[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("".join(f"{path}\n" for path in paths))
    command = ["tesseract", listing.name, "stdout", "--psm", str(psm)]
    command += ["-c", f"tessedit_char_whitelist={ALPHABET}", "tsv"]
    try:
        result = subprocess.run(
            command, capture_output=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}
        )
    finally:
        os.unlink(listing.name)
    words: list[list[str]] = [[] for _ in paths]
    for row in result.stdout.decode().splitlines()[1:]:  # level, page_num, ..., conf, text
        level, page, *_, text = row.split("\t")
        if level == "5":
            words[int(page) - 1].append(text)
    return ["".join(page_words).upper().replace(" ", "") for page_words in words]


def ours(text: str, index: int) -> Image.Image:
    return Image.open(io.BytesIO(render(text, seed=f"ocr-check-{index}")))


def plain(text: str, index: int) -> Image.Image:
    """The tutorial's captcha: black text on white, nothing else."""
    image = Image.new("RGB", (160, 60), "white")
    ImageDraw.Draw(image).text((12, 10), text, font=ImageFont.load_default(size=34), fill="black")
    return image


def image_captcha() -> Renderer | None:
    try:
        from captcha.image import ImageCaptcha
    except ImportError:
        return None
    generator = ImageCaptcha(width=160, height=60)

    def draw(text: str, index: int) -> Image.Image:
        return generator.generate_image(text)

    return draw


def solve_rates(renderer: Renderer, texts: list[str], workdir: Path, jobs: int) -> dict[str, float]:
    """Share of ``texts`` read exactly, per strategy (best page mode) and by any strategy."""
    originals = [renderer(text, index) for index, text in enumerate(texts)]
    batches: list[tuple[str, int, list[Path]]] = []
    for number, (name, preprocess) in enumerate(STRATEGIES.items()):
        paths = []
        for index, image in enumerate(originals):
            path = workdir / f"{number}-{index}.png"
            preprocess(image).save(path)
            paths.append(path)
        batches += [(name, psm, paths) for psm in PAGE_MODES]
    with ThreadPoolExecutor(jobs) as pool:
        readings = list(pool.map(lambda batch: tesseract(batch[2], batch[1]), batches))
    solved_by: dict[str, set[int]] = {name: set() for name in STRATEGIES}
    for (name, _, _), read in zip(batches, readings, strict=True):
        solved_by[name] |= {
            index for index, (got, want) in enumerate(zip(read, texts, strict=True)) if got == want
        }
    rates = {name: len(solved) / len(texts) for name, solved in solved_by.items()}
    rates["any strategy"] = len(set().union(*solved_by.values())) / len(texts)
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=400, help="captchas of ours (default 400)")
    parser.add_argument("--controls", type=int, default=100, help="images per control (default 100)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="tesseract processes at once")
    args = parser.parse_args(argv)
    if shutil.which("tesseract") is None:
        parser.error("tesseract is not installed (Debian: apt-get install tesseract-ocr)")

    rng = random.Random(7)  # fixed texts make runs comparable
    texts = ["".join(rng.choice(ALPHABET) for _ in range(5)) for _ in range(max(args.count, args.controls))]
    contenders: list[tuple[str, Renderer | None, int]] = [
        ("anemo.captcha", ours, args.count),
        ("control: plain text", plain, args.controls),
        ("control: captcha.ImageCaptcha", image_captcha(), args.controls),
    ]
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True)
    version_line = version.stdout.splitlines()[0]
    print(f"## OCR solve rate ({version_line}, page modes {PAGE_MODES}, alphabet whitelist)\n")
    print("| images | count | " + " | ".join(STRATEGIES) + " | any strategy |")
    print("|---|---:|" + "---:|" * (len(STRATEGIES) + 1))
    started = time.perf_counter()
    for name, renderer, count in contenders:
        if renderer is None:
            print(f"| {name} | not installed |")
            continue
        with tempfile.TemporaryDirectory() as workdir:
            rates = solve_rates(renderer, texts[:count], Path(workdir), args.jobs)
        print(
            f"| {name} | {count} | " + " | ".join(f"{rate:.1%}" for rate in rates.values()) + " |", flush=True
        )
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
