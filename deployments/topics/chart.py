"""The trend chart: documents per topic per window; rising and new topics bold in warm colours, fading
topics dashed in cool colours, steady ones thin and grey, so what to fund more or less stands out."""

from __future__ import annotations

import io

_MAX_TICKS = 24
_WARM = ("tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")  # rising and new topics
_COOL = ("tab:blue", "tab:cyan", "tab:green", "navy")  # fading topics
_PALETTE = {"rising": _WARM, "new": _WARM, "fading": _COOL}


def line_styles(statuses: list[str]) -> list[dict]:
    """Matplotlib line options per topic, in order: each highlighted topic takes the next colour of its
    palette (rising and new share the warm one), steady topics are grey."""
    used: dict[tuple[str, ...], int] = {}
    styles = []
    for status in statuses:
        palette = _PALETTE.get(status)
        if palette is None:
            styles.append({"color": "0.6", "linewidth": 1, "alpha": 0.7, "zorder": 2, "linestyle": "-"})
            continue
        n = used.get(palette, 0)
        used[palette] = n + 1
        styles.append({"color": palette[n % len(palette)], "linewidth": 3, "alpha": 1.0, "zorder": 3,
                       "linestyle": "--" if status == "fading" else "-"})
    return styles


def render_chart(trends: dict, max_topics: int = 8, title: str = "Topics per window") -> bytes:
    """A PNG of `trends` (the `trends` part of a /v1/topics answer).

    Drawn on a bare `Figure` (Agg canvas), not through pyplot: no display is needed, and no global
    figure state is shared, so the replica can render charts in worker threads off its event loop.
    """
    from matplotlib.figure import Figure

    windows = trends.get("windows", [])
    topics = sorted(trends.get("topics", []), key=lambda t: (t["status"] not in _PALETTE, -sum(t["counts"])))
    topics = topics[:max_topics]
    fig = Figure(figsize=(10, 5), dpi=100)
    ax = fig.subplots()
    for topic, style in zip(topics, line_styles([t["status"] for t in topics])):
        label = f"{topic['label']} ({topic['status']}, z={topic['score']:+.1f})"
        ax.plot(range(len(windows)), topic["counts"], marker="o", label=label, **style)
    step = max(1, -(-len(windows) // _MAX_TICKS))  # label every step-th window: thousands of labels take minutes
    ax.set_xticks(range(0, len(windows), step), windows[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("documents")
    ax.set_title(title if windows else f"{title} (no timestamps)")
    if topics:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
