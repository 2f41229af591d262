"""Server-side SVG for the drill trend: achieved RTO and RPO per drill against the target lines.
Plain SVG text from numbers only (nothing user-typed goes in), so it is safe to mark safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 420, 120, 28


def _panel(title: str, values: Sequence[float | None], target: float, y0: int) -> str:
    known = [v for v in values if v is not None]
    top = max([target, *known]) * 1.15 or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(i: int) -> float:
        return PAD + (inner_w * i / max(len(values) - 1, 1))

    def y(v: float) -> float:
        return y0 + PAD + inner_h - inner_h * v / top

    parts = [
        f'<text x="{PAD}" y="{y0 + 14}" class="chart-title">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{y0 + PAD + inner_h}" x2="{WIDTH - PAD}" '
        f'y2="{y0 + PAD + inner_h}" class="axis"/>',
        f'<line x1="{PAD}" y1="{y(target):.1f}" x2="{WIDTH - PAD}" y2="{y(target):.1f}" class="target" '
        f'stroke-dasharray="4 3"><title>target {target:.0f} s</title></line>',
        f'<text x="{WIDTH - PAD}" y="{y(target) - 3:.1f}" text-anchor="end" class="chart-label">'
        f"target {target:.0f} s</text>",
    ]
    points = [(x(i), y(v), v) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
        parts.append(f'<polyline points="{path}" class="achieved" fill="none"/>')
    for px, py, v in points:
        over = " over" if v > target else ""
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" class="point{over}"><title>{v:.1f} s</title></circle>'
        )
    return "".join(parts)


def trend_svg(drills: Sequence[Any], rto_target_s: float, rpo_target_s: float) -> SafeString:
    """Two panels (RTO, RPO by the API) over the drills, oldest first."""
    if not drills:
        return mark_safe("")
    rto = [d.rto_achieved_s for d in drills]
    rpo = [d.rpo_api_s for d in drills]
    body = _panel("RTO achieved (s)", rto, rto_target_s, 0) + _panel(
        "RPO by the API (s)", rpo, rpo_target_s, HEIGHT
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {2 * HEIGHT}" width="{WIDTH}" '
        f'height="{2 * HEIGHT}" role="img" aria-label="Drill trend: achieved RTO and RPO against targets" '
        f'class="dr-chart" data-testid="dr-chart">{body}</svg>'
    )
    return mark_safe(svg)  # noqa: S308 - built from numbers and fixed text only
