"""The trend chart: documents per topic per window, rising topics drawn bold in colour, the rest grey."""

from __future__ import annotations

import io

_HIGHLIGHT = ("rising", "new")
_MAX_TICKS = 24
_WARM = ("tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")  # one per highlighted topic


def render_chart(trends: dict, max_topics: int = 8, title: str = "Topics per window") -> bytes:
    """A PNG of `trends` (the `trends` part of a /v1/topics answer).

    Drawn on a bare `Figure` (Agg canvas), not through pyplot: no display is needed, and no global
    figure state is shared, so the replica can render charts in worker threads off its event loop.
    """
    from matplotlib.figure import Figure

    windows = trends.get("windows", [])
    topics = sorted(trends.get("topics", []), key=lambda t: (t["status"] not in _HIGHLIGHT, -sum(t["counts"])))
    fig = Figure(figsize=(10, 5), dpi=100)
    ax = fig.subplots()
    highlighted = 0
    for topic in topics[:max_topics]:
        color = None
        if topic["status"] in _HIGHLIGHT:
            color, highlighted = _WARM[highlighted % len(_WARM)], highlighted + 1
        label = f"{topic['label']} ({topic['status']}, z={topic['score']:+.1f})"
        ax.plot(range(len(windows)), topic["counts"], marker="o", label=label,
                color=color or "0.6", linewidth=3 if color else 1, alpha=1.0 if color else 0.7,
                zorder=3 if color else 2)
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
