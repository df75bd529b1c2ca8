"""The fan-out at scale on the emulator: `python -m bench.fanout_scale --cameras 1000 --minutes 3` (see
bench/scale_run.py for what it does; figures in bench/README.md)."""
from __future__ import annotations

import sys

from bench.scale_run import main

if __name__ == "__main__":
    sys.exit(main())
