"""``gridgov bench upload``: what the most expensive photo the limits accept costs to take in.

The photo limits (``GRIDGOV_PHOTO_MAX_BYTES``, ``GRIDGOV_PHOTO_MAX_PIXELS``,
``GRIDGOV_PHOTO_MAX_DECODED_PIXELS``; see ``cases/photos.py``) bound the cost of one upload. This
benchmark makes the files that push each limit as far as it goes and measures
``photos.validate_photo`` (decode, check, re-encode, thumbnail: all the CPU an upload costs) on
each, every file in a fresh process, so that the peak resident memory it reports belongs to that
one file:

- a JPEG with as many pixels as the header limit allows, with as much detail as still fits the
  byte limit, baseline and progressive (progressive JPEGs keep every coefficient in memory);
- a PNG and a WebP with as many pixels as the decoding budget allows, as noisy as still fits;
- what attackers send: the 40-megapixel flat PNG of the issue (116 KB) and a PNG whose header
  claims 10 gigapixels. These must be refused, at almost no cost.

Figures: CPU seconds (user + system of the process while validating) and peak MB (the growth of
the process's peak resident set over what it held before). The files are noise over a gradient,
which compresses worst; real photos cost less. The figure lines stay in English.
"""

import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

CHILD = "from gridgov.benchmarking.upload import child_main; child_main()"
NOISE_LEVELS = (64, 32, 16, 8, 4, 2, 0)  # tried from the noisiest down until the file fits


class UploadBenchmark:
    help = "CPU seconds and peak memory of the most expensive photo the upload limits accept."

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--keep", action="store_true", help="keep the generated files (their directory is printed)")

    def run(self, options: dict, say: Callable[[str], None]) -> dict:
        from django.conf import settings

        from gridgov.cases import photos

        limits = {
            "max_bytes": photos.max_bytes(),
            "max_pixels": photos.max_pixels(),
            "max_decoded_pixels": photos.max_decoded_pixels(),
        }
        say(
            f"limits: {limits['max_bytes'] / 2**20:.1f} MiB, {limits['max_pixels'] / 1e6:g} MP in the header, "
            f"{limits['max_decoded_pixels'] / 1e6:g} MP decoded"
        )
        directory = Path(tempfile.mkdtemp(prefix="gridgov-bench-upload-"))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "gridgov.settings"),
            "GRIDGOV_PHOTO_MAX_BYTES": str(limits["max_bytes"]),
            "GRIDGOV_PHOTO_MAX_PIXELS": str(limits["max_pixels"]),
            "GRIDGOV_PHOTO_MAX_DECODED_PIXELS": str(limits["max_decoded_pixels"]),
            "GRIDGOV_DATA_DIR": str(getattr(settings, "DATA_DIR", directory)),
        }
        try:
            files = make_files(directory, **limits)
            results = []
            for name, path in files.items():
                figures = _measure(env, path)
                figures.update({"file": name, "bytes": path.stat().st_size})
                results.append(figures)
                outcome = f"accepted, kept at {figures['kept']}" if figures["accepted"] else f"refused: {figures['refusal']}"
                say(
                    f"{name:<34} {figures['bytes'] / 1e6:6.2f} MB  cpu {figures['cpu_s']:5.2f} s  peak {figures['peak_mb']:6.0f} MB  {outcome}"
                )
        finally:
            if options.get("keep"):
                say(f"files kept in {directory}")
            else:
                for path in directory.iterdir():
                    path.unlink()
                directory.rmdir()
        accepted = [r for r in results if r["accepted"]]
        worst = {
            "cpu_s": max((r["cpu_s"] for r in accepted), default=0.0),
            "peak_mb": max((r["peak_mb"] for r in accepted), default=0.0),
            "refused_cpu_s": max((r["cpu_s"] for r in results if not r["accepted"]), default=0.0),
        }
        say(
            f"worst accepted file: {worst['cpu_s']:.2f} s of CPU, {worst['peak_mb']:.0f} MB at peak; worst refusal {worst['refused_cpu_s']:.2f} s"
        )
        return {"limits": limits, "files": results, "worst_accepted": worst}


# --- the files ---------------------------------------------------------------------------------


def _dimensions(pixels: int) -> tuple[int, int]:
    """The largest 4:3 picture (multiples of 16, as camera sensors give) of at most ``pixels``."""
    width = int((pixels * 4 / 3) ** 0.5) // 16 * 16
    height = width * 3 // 4 // 16 * 16
    return max(width, 16), max(height, 16)


def _noisy(size: tuple[int, int], level: int, seed: int = 1):
    import numpy as np
    from PIL import Image

    width, height = size
    gradient = np.linspace(0, 255, width, dtype=np.uint16)[None, :, None]
    noise = np.random.default_rng(seed).integers(0, level + 1, (height, width, 3), dtype=np.uint16)
    return Image.fromarray(((gradient + noise) % 256).astype(np.uint8), "RGB")


def _largest_that_fits(size: tuple[int, int], max_bytes: int, encode: Callable) -> bytes:
    """The noisiest version of the picture whose file still fits the byte limit."""
    for level in NOISE_LEVELS:
        data = encode(_noisy(size, level))
        if len(data) <= max_bytes:
            return data
    raise AssertionError("a flat picture always fits")


def _encoder(image_format: str, **options) -> Callable:
    def encode(image) -> bytes:
        out = io.BytesIO()
        image.save(out, image_format, **options)
        return out.getvalue()

    return encode


def _png_claiming(width: int, height: int) -> bytes:
    """A 1-pixel PNG whose header claims ``width`` × ``height`` (a decompression bomb's header)."""
    from PIL import Image

    png = bytearray(_encoder("PNG")(Image.new("RGB", (1, 1))))
    header = struct.pack(">II", width, height) + bytes(png[24:29])
    png[16:29] = header
    png[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(png)


def make_files(directory: Path, *, max_bytes: int, max_pixels: int, max_decoded_pixels: int) -> dict[str, Path]:
    from PIL import Image

    largest, decodable = _dimensions(max_pixels), _dimensions(max_decoded_pixels)
    makers: dict[str, Callable[[], bytes]] = {
        f"jpeg-{largest[0]}x{largest[1]}-baseline.jpg": lambda: _largest_that_fits(
            largest, max_bytes, _encoder("JPEG", quality=95)
        ),
        f"jpeg-{largest[0]}x{largest[1]}-progressive.jpg": lambda: _largest_that_fits(
            largest, max_bytes, _encoder("JPEG", quality=95, progressive=True)
        ),
        f"png-{decodable[0]}x{decodable[1]}.png": lambda: _largest_that_fits(
            decodable, max_bytes, _encoder("PNG", compress_level=1)
        ),
        f"webp-{decodable[0]}x{decodable[1]}.webp": lambda: _largest_that_fits(
            decodable, max_bytes, _encoder("WEBP", quality=95)
        ),
        "refused-png-8000x5000-flat.png": lambda: _encoder("PNG", optimize=True)(Image.new("RGB", (8000, 5000), (200, 30, 30))),
        "refused-png-header-100000x100000.png": lambda: _png_claiming(100_000, 100_000),
    }
    paths = {}
    for name, make in makers.items():  # one at a time: a 50 MP picture in memory is 150 MB
        paths[name] = directory / name
        paths[name].write_bytes(make())
    return paths


# --- measuring, one file per process --------------------------------------------------------------


def _measure(env: dict, path: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"measuring {path.name} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child_main() -> None:
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    from gridgov.cases.photos import PhotoError, validate_photo

    path = Path(sys.argv[1])
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    before = _peak_resident_kib()
    started = time.process_time()
    figures: dict = {"accepted": True, "refusal": "", "kept": ""}
    try:
        with translation.override("en"):
            photo = validate_photo(upload)
        figures["kept"] = f"{photo.width}x{photo.height} {photo.format} {len(photo.content) / 1e6:.1f} MB"
    except PhotoError as error:
        figures.update({"accepted": False, "refusal": str(error)})
    figures["cpu_s"] = round(time.process_time() - started, 3)
    figures["peak_mb"] = round(max(0, _peak_resident_kib() - before) / 1024, 1)
    print(json.dumps(figures))


def _peak_resident_kib() -> int:
    """The process's peak resident set (VmHWM). Not ``getrusage``'s ru_maxrss, which a child keeps
    from its parent across fork and exec: the parent that made the pictures held far more."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is
