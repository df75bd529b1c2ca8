"""Lambda concurrency and monthly cost at 1k / 10k / 100k cameras, from the measured per-clip time."""
from __future__ import annotations

PRICE_GB_S = 0.0000166667  # x86, us-east-1
PRICE_REQUEST = 0.20 / 1_000_000
CLIPS_PER_CAMERA_MONTH = 60 * 24 * 30  # one 1-minute clip per camera per minute, 30-day month
INFERENCE_MB = 3008  # infra/inference.py: about 2 vCPUs


def table(per_clip_s: float, *, inference_mb: int = INFERENCE_MB, dispatcher_mb: int = 256,
          dispatcher_own_s: float = 0.4, cameras=(1_000, 10_000, 100_000)) -> list[dict]:
    """Rows of cameras -> concurrency and monthly cost.

    The dispatcher invokes inference synchronously, so it is billed for its own work plus the wait.
    """
    rows = []
    for n in cameras:
        clips = n * CLIPS_PER_CAMERA_MONTH
        inference_gb_s = clips * per_clip_s * inference_mb / 1024
        dispatcher_gb_s = clips * (dispatcher_own_s + per_clip_s) * dispatcher_mb / 1024
        requests = 2 * clips  # one dispatcher + one inference invocation per clip
        rows.append({
            "cameras": n,
            "clips_per_s": round(n / 60, 1),
            "inference_concurrency": round(n / 60 * per_clip_s, 1),
            "dispatcher_concurrency": round(n / 60 * (dispatcher_own_s + per_clip_s), 1),
            "inference_usd_month": round(inference_gb_s * PRICE_GB_S, 0),
            "dispatcher_usd_month": round(dispatcher_gb_s * PRICE_GB_S, 0),
            "requests_usd_month": round(requests * PRICE_REQUEST, 0),
            "total_usd_month": round((inference_gb_s + dispatcher_gb_s) * PRICE_GB_S + requests * PRICE_REQUEST, 0),
            "usd_per_camera_month": round(((inference_gb_s + dispatcher_gb_s) * PRICE_GB_S
                                           + requests * PRICE_REQUEST) / n, 3),
        })
    return rows


def markdown(rows: list[dict]) -> str:
    head = ("| cameras | clips/s | inference concurrency | dispatcher concurrency | inference $/month "
            "| dispatcher $/month | requests $/month | total $/month | $/camera/month |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['cameras']:,} | {r['clips_per_s']} | {r['inference_concurrency']} | "
                     f"{r['dispatcher_concurrency']} | {r['inference_usd_month']:,.0f} | "
                     f"{r['dispatcher_usd_month']:,.0f} | {r['requests_usd_month']:,.0f} | "
                     f"{r['total_usd_month']:,.0f} | {r['usd_per_camera_month']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    print(markdown(table(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)))
