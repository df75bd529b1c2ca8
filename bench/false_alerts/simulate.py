"""Camera simulation for the false-alert measurement: minute clips with a recurring statue and people who stay.

Subjects are cut out of the horse-or-human VALIDATION renders (never the training ones) and composited on a
procedural background with PyAV/libx264, like the shared sample clips. Two cameras:

garden: a statue (a person render, cut out, greyed to stone, pasted still) visible every minute; a person
        walks in beside it for two minutes (minutes 12-13).
porch:  empty, then one person who stays five minutes (minutes 2-6), then empty again.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from videoalert_training.cutouts import subject_mask
from videoalert_training.scenes import random_scene

W, H = 640, 480
FPS = 5  # the inference samples 1 fps; 5 fps keeps encode/decode cheap on the shared 2 cores
SECONDS = 60
DEFAULT_IMAGES = Path(__file__).resolve().parents[3] / "shared" / "data" / "horse-or-human" / "validation"


@dataclass(frozen=True)
class MinuteSpec:
    camera: str
    minute: int
    statue: bool
    person: str | None  # validation image name, or None
    person_motion: str = "stay"  # stay | walk
    people_event: str | None = None  # ground truth: which visit this minute belongs to

    @property
    def name(self) -> str:
        return f"{self.camera}_m{self.minute:02d}"


def timeline() -> list[MinuteSpec]:
    garden = [MinuteSpec("garden", m, statue=True,
                         person="valhuman03-05.jpg" if m in (12, 13) else None, person_motion="walk",
                         people_event="garden-visitor" if m in (12, 13) else None) for m in range(20)]
    porch = [MinuteSpec("porch", m, statue=False, person="valhuman05-10.jpg" if 2 <= m <= 6 else None,
                        people_event="porch-stayer" if 2 <= m <= 6 else None) for m in range(10)]
    return garden + porch


class Cutout:
    def __init__(self, path: Path, *, stone: bool = False):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        alpha = subject_mask(rgb).astype(np.float32) / 255.0
        ys, xs = np.nonzero(alpha > 0.5)
        rgb, alpha = (
            rgb[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1],
            alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1],
        )
        if stone:  # grey, low-contrast, slightly warm: a garden statue with a person's shape
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
            grey = 110 + 0.45 * (grey - grey.mean())
            rgb = np.clip(np.stack([grey + 8, grey + 4, grey - 4], axis=-1), 0, 255)
        self.rgb, self.alpha = rgb.astype(np.float32), alpha

    def scaled(self, height: int) -> tuple[np.ndarray, np.ndarray]:
        scale = height / self.rgb.shape[0]
        size = (max(4, int(self.rgb.shape[1] * scale)), height)
        return (
            cv2.resize(self.rgb, size, interpolation=cv2.INTER_AREA),
            cv2.GaussianBlur(cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA), (3, 3), 0),
        )


def paste(frame: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, left: int, top: int) -> None:
    h, w = alpha.shape
    y0, x0, y1, x1 = max(0, top), max(0, left), min(H, top + h), min(W, left + w)
    if y1 <= y0 or x1 <= x0:
        return
    a = alpha[y0 - top : y1 - top, x0 - left : x1 - left, None]
    frame[y0:y1, x0:x1] = a * rgb[y0 - top : y1 - top, x0 - left : x1 - left] + (1 - a) * frame[y0:y1, x0:x1]


def render_minute(spec: MinuteSpec, background: np.ndarray, statue: Cutout | None, person: Cutout | None) -> bytes:
    seed = int(hashlib.sha256(spec.name.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    light = 0.85 + 0.3 * rng.random()  # the sun moves between minutes
    statue_img = statue.scaled(230) if statue else None
    person_img = person.scaled(260) if person else None
    # A small bank of noise frames, cycled: fresh Gaussian noise per frame costs more than the encode here.
    noise = [rng.normal(0, 2.5, (H, W, 3)).astype(np.float32) for _ in range(7)]
    background = background.astype(np.float32)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"preset": "veryfast", "crf": "27"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for i in range(FPS * SECONDS):
            t = i / FPS
            frame = background * (light + 0.03 * np.sin(t / 9.0))
            if statue_img:
                paste(frame, statue_img[0] * light, statue_img[1], 80, 190)
            if person_img:
                if spec.person_motion == "walk":
                    left = int(-150 + (W + 150) * t / SECONDS)  # crosses the frame in a minute
                else:
                    left = int(330 + 25 * np.sin(t / 4.0))  # stands, shifting weight
                paste(frame, person_img[0], person_img[1], left, 170 + int(4 * np.sin(t)))
            frame = frame + noise[i % len(noise)]  # sensor noise
            image = av.VideoFrame.from_ndarray(np.clip(frame, 0, 255).astype(np.uint8), format="rgb24")
            for packet in stream.encode(image):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def generate(out_dir: Path, images: Path = DEFAULT_IMAGES) -> list[dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    backgrounds = {
        cam: random_scene(np.random.default_rng(seed), H, W) for cam, seed in (("garden", 11), ("porch", 23))
    }
    statue = Cutout(images / "humans" / "valhuman02-12.jpg", stone=True)
    people: dict[str, Cutout] = {}
    rows = []
    for spec in timeline():
        person = None
        if spec.person:
            person = people.setdefault(spec.person, Cutout(images / "humans" / spec.person))
        path = out_dir / f"{spec.name}.mp4"
        if not path.exists():
            path.write_bytes(render_minute(spec, backgrounds[spec.camera], statue if spec.statue else None, person))
        rows.append({**asdict(spec), "file": path.name, "person_present": spec.person is not None})
    with (out_dir / "timeline.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/false_alerts/sim"))
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    args = parser.parse_args()
    rows = generate(args.out, args.images)
    print(json.dumps({"clips": len(rows), "out": str(args.out)}))


if __name__ == "__main__":
    main()
