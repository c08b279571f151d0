"""``docs/benchmark-aggregation.png``: aggregation wall time and peak memory against N (log scale)."""

import math

from bench.canvas import BLACK, GREY, LIGHT, Canvas

BLUE, ORANGE, RED = (31, 119, 180), (230, 120, 20), (200, 30, 30)
WIDTH, HEIGHT = 1100, 520


def _nice_top(value):
    magnitude = 10 ** math.floor(math.log10(value)) if value > 0 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _label(value):
    if value == 0:
        return "0"
    return ("{0:.0f}" if value >= 10 else "{0:.1f}" if value >= 1 else "{0:.2f}").format(value)


def panel(canvas, box, title, ns, values, colour, unit, target=None, floor=None):
    """One series against N; ``floor``: a second one, grey (benchmark 3's bare list)."""
    left, top, right, bottom = box
    canvas.text((left + right) // 2, top - 40, title, anchor="center")
    y_top = _nice_top(max(list(values) + list(floor or []) + ([target * 1.1] if target else [])) * 1.15)
    lo, hi = math.log10(ns[0]), math.log10(ns[-1])

    def xy(n, v):
        x = left + (math.log10(n) - lo) / ((hi - lo) or 1) * (right - left - 80) + 40
        return x, bottom - v / y_top * (bottom - top)

    for i in range(6):
        value = y_top * i / 5
        y = bottom - (bottom - top) * i / 5
        canvas.line(left, y, right, y, LIGHT)
        canvas.text(left - 8, y - 7, _label(value), GREY, anchor="right")
    canvas.line(left, top, left, bottom, BLACK, width=2)
    canvas.line(left, bottom, right, bottom, BLACK, width=2)
    canvas.text(left - 8, top - 24, unit, GREY, anchor="right")
    if target:
        y = xy(ns[0], target)[1]
        canvas.line(left, y, right, y, RED, width=2, dash=8)
        canvas.text(right - 4, y - 20, "TARGET {0} S".format(_label(target)), RED, anchor="right")
    if floor:
        low = [xy(n, v) for n, v in zip(ns, floor)]
        for (x0, y0), (x1, y1) in zip(low, low[1:]):
            canvas.line(x0, y0, x1, y1, GREY, width=2, dash=6)
        for x, y in low:
            canvas.dot(x, y, GREY, radius=4)
        canvas.text(low[-1][0] - 8, low[-1][1] + 8, "FLOOR", GREY, anchor="right")
    points = [xy(n, v) for n, v in zip(ns, values)]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        canvas.line(x0, y0, x1, y1, colour, width=3)
    for (x, y), n, v in zip(points, ns, values):
        canvas.dot(x, y, colour, radius=6)
        canvas.text(x, y - 26, _label(v), colour, anchor="center")
        canvas.text(x, bottom + 10, "{0:,}".format(n), BLACK, anchor="center")
    canvas.text((left + right) // 2, bottom + 34, "N JOBS (20 KB OUTPUT EACH)", GREY, anchor="center")


def aggregation_png(rows):
    ns = [row["n"] for row in rows]
    canvas = Canvas(WIDTH, HEIGHT)
    panel(canvas, (90, 80, 520, 440), "AGGREGATION TIME", ns, [row["seconds"] for row in rows], BLUE, "S",
          target=30.0, floor=[row["floor_seconds"] for row in rows])
    panel(canvas, (640, 80, 1070, 440), "PEAK MEMORY (TRACEMALLOC)", ns,
          [row["peak_bytes"] / 2 ** 20 for row in rows], ORANGE, "MIB")
    canvas.text(WIDTH // 2, HEIGHT - 24, "LOG SCALE IN N, PAGE SIZE 500", GREY, scale=1, anchor="center")
    return canvas.png()


def burst_png(runs):
    """``docs/benchmark-operator-burst.png``: jobs with every completion effect against seconds since the
    completion writes, one line per ``--max-concurrent-reconciles``."""
    canvas = Canvas(WIDTH, HEIGHT)
    left, top, right, bottom = 110, 80, WIDTH - 60, 430
    jobs = max(r["jobs"] for r in runs)
    x_top = _nice_top(max(r["idle_s"] for r in runs) * 1.05)
    y_top = _nice_top(jobs * 1.05)

    def xy(seconds, count):
        return left + seconds / x_top * (right - left), bottom - count / y_top * (bottom - top)

    canvas.text((left + right) // 2, top - 50, "BURST OF {0} COMPLETIONS: JOBS DRAINED".format(jobs), anchor="center")
    for i in range(6):
        y = bottom - (bottom - top) * i / 5
        canvas.line(left, y, right, y, LIGHT)
        canvas.text(left - 8, y - 7, _label(y_top * i / 5), GREY, anchor="right")
        x = left + (right - left) * i / 5
        canvas.text(x, bottom + 10, _label(x_top * i / 5), BLACK, anchor="center")
    canvas.line(left, top, left, bottom, BLACK, width=2)
    canvas.line(left, bottom, right, bottom, BLACK, width=2)
    canvas.text(left - 8, top - 24, "JOBS", GREY, anchor="right")
    canvas.text((left + right) // 2, bottom + 34, "S AFTER THE COMPLETION WRITES", GREY, anchor="center")
    for run, colour in zip(runs, (BLUE, ORANGE, RED)):
        points = [xy(s, n) for s, n in run["progress"]]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            canvas.line(x0, y0, x1, y1, colour, width=3)
        x, y = xy(run["drained_s"], run["jobs"])
        canvas.dot(x, y, colour, radius=6)
        x_idle = xy(run["idle_s"], 0)[0]
        canvas.line(x_idle, top, x_idle, bottom, colour, width=1, dash=6)
        label = "{0} WORKERS: ALL DRAINED {1:.0f} S, IDLE {2:.0f} S".format(
            run["workers"], run["drained_s"], run["idle_s"])
        canvas.text(left + 20, top + 10 + 26 * runs.index(run), label, colour)
    return canvas.png()
