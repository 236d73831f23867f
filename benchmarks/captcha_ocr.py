"""How often off-the-shelf solvers read anemo.captcha images: ``python benchmarks/captcha_ocr.py``.

A quality check run by hand (run.py does not discover it). It renders ``--count`` captchas of
random texts at the service's defaults (5 symbols, 160x60 PNG) and lets each ``--solver`` read
them after common preprocessings:

- ``tesseract``: Debian's general-purpose OCR, one process per core, page modes 7 and 8, the
  alphabet as whitelist;
- ``ddddocr``: a CNN + CTC reader trained on captchas (its newer ``common`` model, which ships in
  the wheel), read with its own decoding and with the output restricted to our alphabet;
- ``whisperer``: ``captcha-whisperer``, a CRNN + CTC captcha reader (model in the wheel), likewise.

Every row is one pipeline, so one attempt: its exact-match rate with a 95% Wilson interval, the
share of characters right (1 - edit distance / length), and wall seconds per image. The neural
solvers also report "most confident": per image, the answer of the pipeline most sure of itself,
which an attacker with one attempt per challenge can use. "any" is an upper bound that needs
several attempts per image, which one-time challenges refuse. Two controls show what a pipeline
can do: the same texts drawn plainly and the ``captcha`` package's ImageCaptcha, the popular peer.
``--smoke`` reads a few images, to check that the script runs; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import datetime
import io
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from harness import machine_line
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from anemo.captcha import ALPHABET, render

Preprocess = Callable[[Image.Image], Image.Image]
Renderer = Callable[[str, int], Image.Image]
ImageSet = tuple[str, list[Image.Image], list[str]]  # name, images, the texts they show


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


def darkest_channel(image: Image.Image) -> Image.Image:
    """Per pixel the darkest of R, G, B: coloured ink on a pale ground all turns dark."""
    red, green, blue = image.convert("RGB").split()
    return ImageChops.darker(ImageChops.darker(red, green), blue)


def darkest_channel_x3(image: Image.Image) -> Image.Image:
    darkest = darkest_channel(image)
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
#: The neural readers resize to their own input size, so no upscaling or frame here.
NEURAL_STRATEGIES: dict[str, Preprocess] = {
    "as is": lambda image: image,
    "grey": ImageOps.grayscale,
    "median 3": lambda image: image.filter(ImageFilter.MedianFilter(3)),
    "grey + Otsu": lambda image: binarize(ImageOps.grayscale(image)),
    "median 3 + grey + Otsu": lambda image: binarize(
        ImageOps.grayscale(image.filter(ImageFilter.MedianFilter(3)))
    ),
    "darkest channel + Otsu": lambda image: binarize(darkest_channel(image)),
}
OWN, RESTRICTED = "own decoding", "alphabet only"


@dataclass(frozen=True)
class Readings:
    """What one pipeline (preprocessing, solver, decoding) read from each image, and its cost."""

    pipeline: str
    texts: list[str]
    confidences: list[float] | None  # None when the pipeline gives no comparable confidence
    seconds: float  # wall clock per image, preprocessing included


@dataclass(frozen=True)
class Solver:
    """A reader of captcha images: its name, the settings to report, and every pipeline it runs."""

    name: str
    settings: str
    read: Callable[[list[Image.Image]], list[Readings]]


def tesseract(paths: list[Path], psm: int) -> list[str]:
    """Tesseract's reading of each image, from one process for the whole batch.

    Tesseract 5.3 dies of SIGFPE on a few images in page mode 7 (and a stuck process is stopped
    after two seconds an image); the batch is then halved until the culprit is alone, and it counts
    as unread.
    """
    try:
        return _tesseract_batch(paths, psm)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
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
            command,
            capture_output=True,
            check=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            timeout=10 + 2 * len(paths),
        )
    finally:
        os.unlink(listing.name)
    words: list[list[str]] = [[] for _ in paths]
    for row in result.stdout.decode().splitlines()[1:]:  # level, page_num, ..., conf, text
        level, page, *_, text = row.split("\t")
        if level == "5":
            words[int(page) - 1].append(text)
    return ["".join(page_words).upper().replace(" ", "") for page_words in words]


def tesseract_solver(jobs: int) -> Solver | str:
    """Tesseract after each of STRATEGIES, in each of PAGE_MODES; or why it cannot run."""
    if shutil.which("tesseract") is None:
        return "not installed (Debian: apt-get install tesseract-ocr)"
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True)

    def read(images: list[Image.Image]) -> list[Readings]:
        with tempfile.TemporaryDirectory() as workdir:
            batches: list[tuple[str, int, list[Path]]] = []
            for number, (name, preprocess) in enumerate(STRATEGIES.items()):
                paths = [Path(workdir, f"{number}-{index}.png") for index in range(len(images))]
                for image, path in zip(images, paths, strict=True):
                    preprocess(image).save(path)
                batches += [(f"{name}, psm {psm}", psm, paths) for psm in PAGE_MODES]

            def run(batch: tuple[str, int, list[Path]]) -> Readings:
                name, psm, paths = batch
                started = time.perf_counter()
                texts = tesseract(paths, psm)
                return Readings(name, texts, None, (time.perf_counter() - started) / len(paths))

            with ThreadPoolExecutor(jobs) as pool:
                return list(pool.map(run, batches))

    settings = f"{version.stdout.splitlines()[0]}, alphabet whitelist, one core per process"
    return Solver("tesseract", settings, read)


def restricted_ctc(probabilities: Any) -> tuple[str, float]:
    """Greedy CTC decoding of a (steps, 1 + len(ALPHABET)) array whose column 0 is the blank.

    Returns the text and its confidence, the product of the probability of each emitted symbol.
    """
    text, confidence, previous = [], 1.0, 0
    for step in probabilities:
        best = int(step.argmax())
        if best not in (0, previous):
            text.append(ALPHABET[best - 1])
            confidence *= float(step[best])
        previous = best
    return "".join(text), confidence


def neural_readings(
    read_one: Callable[[Image.Image], dict[str, tuple[str, float]]], images: list[Image.Image]
) -> list[Readings]:
    """One image at a time through each of NEURAL_STRATEGIES; the solver's own decoding only as is."""
    rows = []
    read_one(images[0])  # the first inference sets the model up: keep it out of the timing
    for name, preprocess in NEURAL_STRATEGIES.items():
        started = time.perf_counter()
        results = [read_one(preprocess(image)) for image in images]
        seconds = (time.perf_counter() - started) / len(images)
        for decoding in (OWN, RESTRICTED) if name == "as is" else (RESTRICTED,):
            confidences = [result[decoding][1] for result in results] if decoding == RESTRICTED else None
            texts = [result[decoding][0] for result in results]
            rows.append(Readings(f"{name}, {decoding}", texts, confidences, seconds))
    return rows


def ddddocr_solver() -> Solver | str:
    """ddddocr's newer model (``beta=True``, common.onnx in the wheel); or why it cannot run."""
    try:
        import ddddocr
        import numpy as np
    except ImportError:
        return "not installed (pip install ddddocr)"
    ocr = ddddocr.DdddOcr(show_ad=False, beta=True)
    charset = ocr.get_charset()
    if charset[0] != "":
        return f"unexpected charset: the CTC blank is not first ({charset[0]!r})"
    columns = [[index for index, char in enumerate(charset) if char.upper() == symbol] for symbol in ALPHABET]

    def read_one(image: Image.Image) -> dict[str, tuple[str, float]]:
        result = ocr.classification(image, probability=True)
        probabilities = np.asarray(result["probabilities"], dtype=np.float32).reshape(-1, len(charset))
        merged = np.stack(  # both cases of a letter are one answer: verification folds case
            [probabilities[:, 0], *(probabilities[:, indices].sum(axis=1) for indices in columns)], axis=1
        )
        return {OWN: (result["text"].upper(), math.nan), RESTRICTED: restricted_ctc(merged)}

    settings = f"ddddocr {metadata.version('ddddocr')}, model common.onnx (beta=True), onnxruntime threads"
    return Solver("ddddocr", settings, lambda images: neural_readings(read_one, images))


def whisperer_solver() -> Solver | str:
    """captcha-whisperer's CRNN (the model in its wheel); or why it cannot run."""
    try:
        import onnxruntime
        from captcha_whisperer import BLANK_INDEX, LABELS, decode, default_model_path
        from captcha_whisperer.preprocess import preprocess_bytes
    except ImportError:
        return "not installed (pip install captcha-whisperer)"
    session = onnxruntime.InferenceSession(str(default_model_path()), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    outside = [index for index, label in enumerate(LABELS) if index != BLANK_INDEX and label not in ALPHABET]

    def read_one(image: Image.Image) -> dict[str, tuple[str, float]]:
        png = io.BytesIO()
        image.convert("RGB").save(png, "PNG")
        logits = session.run(None, {input_name: preprocess_bytes(png.getvalue())})[0]  # (steps, 1, labels)
        (own,), _, _ = decode(logits)
        logits[..., outside] = -1e9
        (text,), (confidence,), _ = decode(logits)
        return {OWN: (own.upper(), math.nan), RESTRICTED: (text, confidence)}

    settings = f"captcha-whisperer {metadata.version('captcha-whisperer')}, onnxruntime threads"
    return Solver("whisperer", settings, lambda images: neural_readings(read_one, images))


SOLVERS: dict[str, Callable[[int], Solver | str]] = {
    "tesseract": tesseract_solver,
    "ddddocr": lambda jobs: ddddocr_solver(),
    "whisperer": lambda jobs: whisperer_solver(),
}


def most_confident(rows: list[Readings]) -> Readings | None:
    """Per image, the answer of the pipeline most sure of itself: one attempt, as a bot would send."""
    rated = [row for row in rows if row.confidences is not None]
    if len(rated) < 2:
        return None
    texts = [
        max(zip(answers, confidences, strict=True), key=lambda pair: pair[1])[0]
        for answers, confidences in zip(
            zip(*(row.texts for row in rated), strict=True),
            zip(*(row.confidences or [] for row in rated), strict=True),
            strict=True,
        )
    ]
    return Readings("most confident of the rated rows", texts, None, sum(row.seconds for row in rated))


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions that turn one into the other."""
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, 1):
        current = [row]
        for column, other in enumerate(second, 1):
            current.append(min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (char != other)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class Score:
    """How many images a pipeline read exactly, and its share of characters right."""

    solved: int
    count: int
    chars: float

    @property
    def rate(self) -> float:
        return self.solved / self.count

    def wilson(self, z: float = 1.96) -> tuple[float, float]:
        """The 95% Wilson score interval of the exact-match rate (sound near 0 and 1, unlike p +- 2se)."""
        n, p = self.count, self.rate
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def cell(self) -> str:
        low, high = self.wilson()
        return f"{self.rate:.1%} ({low:.1%}-{high:.1%})"


def score(read: Sequence[str], wanted: Sequence[str]) -> Score:
    """Exact matches and characters right (1 - edit distance / length, at least 0, averaged)."""
    chars = [
        max(0.0, 1 - edit_distance(got, want) / len(want)) for got, want in zip(read, wanted, strict=True)
    ]
    solved = sum(got == want for got, want in zip(read, wanted, strict=True))
    return Score(solved, len(wanted), sum(chars) / len(chars))


def any_row(rows: list[Readings], wanted: Sequence[str]) -> Score:
    """Images read exactly by at least one row: an upper bound that needs several attempts each."""
    solved = sum(any(row.texts[index] == want for row in rows) for index, want in enumerate(wanted))
    return Score(solved, len(wanted), math.nan)


def ours(text: str, index: int) -> Image.Image:
    return Image.open(io.BytesIO(render(text, seed=f"ocr-check-{index}"))).convert("RGB")


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


def report(
    solver: Solver, image_sets: list[tuple[str, list[Image.Image], list[str]]]
) -> tuple[str, Score, float]:
    """Print one table for ``solver``; return its best single pipeline on our images, score and cost."""
    columns: list[dict[str, Score]] = []
    for set_number, (_, images, wanted) in enumerate(image_sets):
        rows = solver.read(images)
        combined = most_confident(rows)
        scores = {row.pipeline: score(row.texts, wanted) for row in [*rows, *filter(None, [combined])]}
        scores["any row (several attempts: an upper bound)"] = any_row(rows, wanted)
        columns.append(scores)
        if set_number == 0:
            seconds = {row.pipeline: row.seconds for row in [*rows, *filter(None, [combined])]}
    print(f"\n### {solver.name}: {solver.settings}\n")
    names = [name for name, _, _ in image_sets]
    print(f"| pipeline | {names[0]}: read (95% CI) | chars right | s/image | " + " | ".join(names[1:]) + " |")
    print("|---|---:|---:|---:|" + "---:|" * (len(names) - 1))
    for pipeline, ours_score in columns[0].items():
        chars = "" if math.isnan(ours_score.chars) else f"{ours_score.chars:.1%}"
        cost = f"{seconds[pipeline]:.3f}" if pipeline in seconds else ""
        controls = " | ".join(f"{column[pipeline].rate:.0%}" for column in columns[1:])
        print(f"| {pipeline} | {ours_score.cell()} | {chars} | {cost} | {controls} |", flush=True)
    best = max(seconds, key=lambda pipeline: columns[0][pipeline].solved)
    return best, columns[0][best], seconds[best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=500, help="captchas of ours (default 500)")
    parser.add_argument("--controls", type=int, default=100, help="images per control (default 100)")
    parser.add_argument(
        "--solver",
        choices=[*SOLVERS, "all"],
        default="all",
        help="who reads (default all that are installed)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="tesseract processes at once")
    parser.add_argument("--smoke", action="store_true", help="a few images: check that it runs")
    args = parser.parse_args(argv)
    count, controls = (8, 4) if args.smoke else (args.count, args.controls)
    if count < 1 or controls < 1:
        parser.error("--count and --controls must be at least 1")

    rng = random.Random(7)  # fixed texts make runs comparable
    texts = ["".join(rng.choice(ALPHABET) for _ in range(5)) for _ in range(max(count, controls))]
    image_sets: list[ImageSet] = []
    for name, renderer, number in [
        (f"anemo.captcha, {count}", ours, count),
        (f"plain text, {controls}", plain, controls),
        (f"ImageCaptcha, {controls}", image_captcha(), controls),
    ]:
        if renderer is not None:
            wanted = texts[:number]
            image_sets.append((name, [renderer(text, index) for index, text in enumerate(wanted)], wanted))

    print(f"## Captcha solve rates, {datetime.date.today().isoformat()}\n")
    print(f"{machine_line()}. Texts of 5 symbols from ALPHABET; anemo.captcha at its defaults (160x60 PNG).")
    started = time.perf_counter()
    best_rows = []
    for name in SOLVERS if args.solver == "all" else [args.solver]:
        solver = SOLVERS[name](args.jobs)
        if isinstance(solver, str):
            if args.solver != "all":
                parser.error(f"{name}: {solver}")
            print(f"\n### {name}: {solver}")
            continue
        best_rows.append((name, *report(solver, image_sets)))
    print(f"\n### Best single pipeline per solver on {image_sets[0][0]}\n")
    print("| solver | pipeline | read (95% CI) | chars right | s/image |")
    print("|---|---|---:|---:|---:|")
    for name, pipeline, best, seconds in best_rows:
        print(f"| {name} | {pipeline} | {best.cell()} | {best.chars:.1%} | {seconds:.3f} |")
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
