"""The container's code runs on its own requirements: no OpenCV, no torch (they are 150 MB and 1 GB), no X-Ray SDK
(its import builds a botocore client: about 0.25 s of every cold start, bench/README.md)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BLOCKER = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("cv2", "torch", "torchvision", "aws_xray_sdk"):
            raise ImportError(f"{name} is not in the container")
sys.meta_path.insert(0, Block())
import videoalert_inference.handler, videoalert_inference.scoring, videoalert_inference.motion
import numpy as np
from videoalert_inference.motion import MotionDetector
d = MotionDetector()
for i in range(3):
    d.boxes(np.full((480, 640, 3), 40 * i, np.uint8))
from videoalert_inference.detector import load_detector
from videoalert_inference.proposals import FrameWork, detect_tiles, propose
from videoalert_inference.frames import SampledFrame
frame = SampledFrame(0.0, np.zeros((300, 300, 3), np.uint8), np.zeros((480, 640, 3), np.uint8))
propose(load_detector("models", intra_op_threads=1), [FrameWork(frame, tuple(detect_tiles()))])
print("ok")
"""


def test_the_inference_package_imports_and_finds_motion_without_opencv_torch_or_the_xray_sdk():
    # Given a Python where importing cv2, torch or the X-Ray SDK fails, as in the container image
    # When the handler, the scorer, the motion detector and the person detector (with its tiles) are imported and used
    out = subprocess.run([sys.executable, "-c", BLOCKER], cwd=REPO, capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO / "inference_container"), "PATH": "/usr/bin:/bin"})
    # Then they work
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr


def test_the_container_requirements_name_neither_opencv_torch_nor_the_xray_sdk():
    reqs = (REPO / "inference_container" / "requirements.txt").read_text().lower()
    names = {line.split("==")[0].strip() for line in reqs.splitlines() if line.strip() and not line.startswith("#")}
    assert not names & {"opencv-python", "opencv-python-headless", "opencv-contrib-python", "torch", "torchvision",
                        "aws-xray-sdk"}
