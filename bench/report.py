"""Render bench/results.json as the figures section of bench/README.md (between the figures markers)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import scale
from .common import REPO, write_json

README = REPO / "bench" / "README.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(r: dict) -> str:
    cp = r["clip_processing"]
    lines = [
        f"Measured {r['started']} on {r['machine']['cpu']}, {r['machine']['cores']} cores, Python "
        f"{r['machine']['python']}; load average {r['machine']['loadavg_1m']} at the start, "
        f"{r['finished_machine']['loadavg_1m']} at the end (below 1: nothing else ran, so wall times are the "
        f"code's own; above about 2, other jobs shared the two cores). Model: {r['model']}, "
        f"{cp['input_size']} px. Median of {cp['runs']} interleaved rounds; the whole run took "
        f"{r['bench_seconds']:.0f} s. Speed-ups are against the faster of the two naive variants, wall time "
        f"against wall time and CPU time against CPU time.",
        "",
    ]
    for clip, c in cp["clips"].items():
        work = c["decoder_work"]
        lines += [
            f"**{clip}** ({c['size_bytes'] / 1e6:.1f} MB; 60 frames scored; the decoder was sent "
            f"{work['packets_sent_to_decoder']} of {work['packets']} packets and reconstructed "
            f"{work['frames_reconstructed']} frames)",
            "",
            "| path | wall s | CPU s | vs naive (wall) | vs naive (CPU) | decode / preprocess / inference ms (wall) |",
            "|---|---|---|---|---|---|",
        ]
        for k, wall in c["median_s"].items():
            b = c["median_breakdown_ms"].get(k)
            stages = f"{b['decode']:.0f} / {b['preprocess']:.0f} / {b['inference']:.0f}" if b else ""
            speed = c["speedup_vs_naive"].get(k)
            cpu_speed = c["cpu_speedup_vs_naive"].get(k)
            lines.append(f"| {k.strip()} | {wall:.2f} | {c['median_cpu_s'][k]:.2f} | "
                         f"{f'x{speed:.1f}' if speed else '1'} | {f'x{cpu_speed:.1f}' if cpu_speed else '1'} "
                         f"| {stages} |")
        lines.append("")
    cs = r["cold_start"]["median_s"]
    onnx, torch = cs["onnx handler"], cs["torch handler"]
    lines += [
        f"**Cold start** (fresh process; median of {r['cold_start']['runs']:d})",
        "",
        "| handler | imports s | model and HTTPS context s | init s | first 640x480 clip (handler, URL) s "
        "| cold start s |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in (("ONNX Runtime (shipped)", onnx), ("PyTorch", torch)):
        lines.append(
            f"| {name} | {v['imports']:.2f} | {v['runtime']:.2f} | "
            f"{v['init']:.2f} | {v['first_clip']:.2f} | {v['cold start']:.2f} |"
        )
    m_big, m_small = r["memory_1080p"], r["memory_640x480"]
    lines += [
        "",
        f"**Peak memory** (VmHWM of a fresh process): 1080p clip {m_big['peak_rss_mb']:.0f} MB "
        f"({m_big['rss_after_init_mb']:.0f} MB after imports and model load; Python heap peak "
        f"{m_big['python_heap_peak_mb']:.0f} MB); 640x480 clip {m_small['peak_rss_mb']:.0f} MB.",
        "",
    ]
    if "install_size" in r:
        s = r["install_size"]
        largest = ", ".join(f"{k} {v:.0f}" for k, v in s["largest_mb"].items() if v >= 5)
        lines += [
            f"**Installed size** of `inference_container/requirements.txt` (clean venv, Python "
            f"{s['python']}): {s['requirements_mb']:.0f} MB ({largest} MB).",
            "",
        ]
    shipped_640 = next(k for k in cp["clips"]["640x480"]["median_s"] if "shipped" in k)
    c640, c1080 = cp["clips"]["640x480"], cp["clips"]["1080p30"]
    shipped_1080 = next(k for k in c1080["median_s"] if "shipped" in k)
    targets = [
        (
            "at least 5x faster than the naive path, 640x480",
            f"x{c640['speedup_vs_naive'][shipped_640]:.1f} wall (x{c640['cpu_speedup_vs_naive'][shipped_640]:.1f} CPU)",
            c640["speedup_vs_naive"][shipped_640] >= 5,
        ),
        (
            "at least 5x faster than the naive path, 1080p30",
            f"x{c1080['speedup_vs_naive'][shipped_1080]:.1f} wall "
            f"(x{c1080['cpu_speedup_vs_naive'][shipped_1080]:.1f} CPU)",
            c1080["speedup_vs_naive"][shipped_1080] >= 5,
        ),
        (
            "at most 1.5 s per 60 s 640x480 clip on these 2 cores",
            f"{c640['median_s'][shipped_640]:.2f} s wall ({c640['median_cpu_s'][shipped_640]:.2f} s CPU)",
            c640["median_s"][shipped_640] <= 1.5,
        ),
        (
            "cold start at most 1 s (imports, model load, first clip)",
            f"{onnx['cold start']:.2f} s, init alone {onnx['init']:.2f} s (torch: {torch['cold start']:.2f} s)",
            onnx["cold start"] <= 1.0,
        ),
        ("peak memory at most 500 MB (1080p)", f"{m_big['peak_rss_mb']:.0f} MB", m_big["peak_rss_mb"] <= 500),
    ]
    if "install_size" in r:
        targets.append(
            (
                "installed size at most 300 MB",
                f"{r['install_size']['requirements_mb']:.0f} MB",
                r["install_size"]["requirements_mb"] <= 300,
            )
        )
    lines += [
        "**Targets** (wall time of the shipped path on these 2 cores: Lambda gives the 3008 MB function about "
        "2 vCPUs; the machine's load is given above)",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {v} | {_verdict(ok)} |" for t, v, ok in targets]
    sc = r["scale"]
    lines += [
        "",
        f"Scale table input: {sc['per_clip_s']:.2f} s per clip ({sc['source']}) on the "
        f"{sc['inference_mb']} MB inference function.",
        "",
        scale.markdown(sc["rows"]),
    ]
    alt = sc.get("one_vcpu")
    if alt:
        lines += [
            "",
            f"On a 1769 MB function (exactly 1 vCPU) with the one-vCPU configuration ({alt['per_clip_s']:.2f} s "
            f"per clip): ${alt['rows'][0]['usd_per_camera_month']} per camera per month, inference concurrency "
            f"{alt['rows'][-1]['inference_concurrency']:,} at {alt['rows'][-1]['cameras']:,} cameras.",
        ]
    return "\n".join(lines)


def update_readme(results: dict) -> None:
    text = README.read_text()
    block = f"{START}\n{render(results)}\n{END}"
    text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    README.write_text(text)


def update_section(name: str, result: dict) -> None:
    """Re-measured one part alone (a quieter moment): replace it in bench/results.json and the README figures."""
    path = REPO / "bench" / "results.json"
    results = json.loads(path.read_text())
    results[name] = result
    write_json(path, results)
    update_readme(results)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "bench" / "results.json")
    results = json.loads(Path(path).read_text())
    if "--print" in sys.argv:
        print(render(results))
    else:
        update_readme(results)
