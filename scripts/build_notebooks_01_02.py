"""Build notebooks/01_scribble_statistics.ipynb and notebooks/02_scribble_simulation.ipynb.

    python scripts/build_notebooks_01_02.py          # from the repository root
    CI=1 jupyter nbconvert --to notebook --execute --inplace notebooks/01_scribble_statistics.ipynb
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nbbuild import code, md, write  # noqa: E402

SETUP = """
    import os

    SMOKE = "CI" in os.environ  # CI runs every notebook small (well under a minute); unset it for the full data
    N_IMAGES = 30 if SMOKE else None  # images per split (None: all of them)
"""

# ------------------------------------------------------------------------------------------- 01
NB01 = [
    md("""
    # 01 · Scribble statistics on real data

    Weakly supervised segmentation starts from a few labelled pixels per image. Before simulating such
    annotations (notebook 02) we measure what real ones look like, against the dense masks:

    * how many pixels are labelled, per image and per class;
    * how many *scribbles* (connected labelled parts of one class) an image and an object get, how long and
      how wide they are;
    * which objects are touched at all, by object size;
    * **where** inside an object the labels fall: distance to the object's boundary, in pixels and
      normalised by the object's *inradius* (its deepest point), and the position inside its bounding box;
    * labelled pixels that disagree with the mask (another class, or void).

    **What real annotation we have.** VOC12-mini ships `points.json` with real human weak labels: clicks on
    objects from *What's the Point* (Bearman et al., 2016) and 2-12 background points per image taken from
    the human ScribbleSup scribbles. The ScribbleSup scribbles themselves are not on these machines; the
    last section measures them when you have them (the same code reads a folder of scribble PNGs or
    ScribbleSup XML files).

    The measurements live in `scribblegap.scribbles.statistics`; the command line does the same:
    `python -m scribblegap stats --data voc12-mini --split train --labels points --clip --out stats.json`.
    """),
    code(SETUP),
    code("""
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np
    from IPython.display import display

    from scribblegap.data import load_dataset
    from scribblegap.scribbles import WeakLabels, read_points
    from scribblegap.scribbles.plots import plot_coverage_comparison, plot_distance_comparison, plot_statistics
    from scribblegap.scribbles.statistics import GROUPS, dataset_statistics, find_regions, ks_test
    from scribblegap.settings import REPO_ROOT, voc12_mini_dir
    from scribblegap.viz import colorize, overlay, save_figure, thicken

    # the committed figures come from full runs; a CI run writes its small versions to a temporary folder
    _scratch = tempfile.TemporaryDirectory()
    FIGURES = Path(_scratch.name) if SMOKE else REPO_ROOT / "figures"


    def show(fig, name):
        display(fig)
        save_figure(fig, FIGURES / name)


    data = voc12_mini_dir()
    train = load_dataset(data, "train", limit=N_IMAGES)
    val = load_dataset(data, "val", limit=N_IMAGES)
    print(train, val, sep="\\n")
    """),
    md("""
    ## The clicks in `points.json`

    Every entry is a point `(x, y)` with a VOC class id. Object clicks carry a `rank` (the *What's the
    Point* annotators clicked once per class they saw, not once per object instance); background points
    have none. The benchmark keeps seven classes: points of the other classes become unlabelled.
    """),
    code("""
    points = read_points(data / "points.json")
    rows = []
    for ds in (train, val):
        n_obj = n_bg = n_dropped = n_outside = 0
        for key in ds.ids:
            h, w = ds.image_shape(key)
            for p in points[key]:
                n_obj += p.rank is not None
                n_bg += p.rank is None
                n_dropped += p.cls not in ds.labels.keep
                n_outside += not (0 <= p.x < w and 0 <= p.y < h)
        rows.append((ds.split, len(ds), n_obj / len(ds), n_bg / len(ds), n_dropped, n_outside))
    print(f"{'split':6} {'images':>6} {'object clicks/img':>18} {'background pts/img':>19} "
          f"{'other classes':>14} {'outside image':>14}")
    for r in rows:
        print(f"{r[0]:6} {r[1]:6d} {r[2]:18.2f} {r[3]:19.2f} {r[4]:14d} {r[5]:14d}")
    """),
    md("""
    A few points lie on or just past the far image border; `clip=True` (`--clip` on the command line)
    moves them onto the border instead of failing. Below, the clicks (thickened to be visible) over the
    images, and the masks with the seven benchmark classes (white: void or another class).
    """),
    code("""
    weak = WeakLabels("points", clip=True)
    fig, axes = plt.subplots(2, 6, figsize=(18, 5.5), dpi=70)
    for i, key in enumerate(train.ids[:6]):
        image, mask = train.image(key), train.mask(key)
        axes[0, i].imshow(overlay(image, thicken(weak(train, key), 4), 0.9))
        axes[0, i].set_title(key, fontsize=8)
        axes[1, i].imshow(colorize(mask))
    for ax in axes.ravel():
        ax.set_axis_off()
    show(fig, "01_clicks_examples.png")
    """),
    md("""
    ## Measuring a label against the mask

    A *region* is a connected component of one class in the mask (background pieces are regions too). For
    every pixel of a region we take its distance to the region's boundary: 1 on its outermost pixels,
    growing inwards (the image frame counts as boundary). The largest distance is the region's
    *inradius*; a labelled pixel's *normalised distance* is its distance over the inradius of its region,
    so 1 means "at the deepest point" and values near 0 "at the edge", whatever the object's size.
    """),
    code("""
    key = train.ids[1]
    mask = train.mask(key)
    reg = find_regions(mask)
    normalised = np.where(reg.ids > 0, reg.dist / np.maximum(reg.inradius[reg.ids], 1), np.nan)
    clicks = weak(train, key)
    rr, cc = np.nonzero(clicks != 255)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), dpi=70)
    axes[0].imshow(colorize(mask))
    axes[0].set_title(f"{key}: {reg.n} regions")
    im = axes[1].imshow(reg.dist, cmap="viridis")
    fig.colorbar(im, ax=axes[1], fraction=0.035)
    axes[1].set_title("distance to the region's boundary (px)")
    im = axes[2].imshow(normalised, cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=axes[2], fraction=0.035)
    axes[2].scatter(cc, rr, s=40, c="red", edgecolors="white")
    axes[2].set_title("normalised by the inradius, with the clicks")
    for ax in axes:
        ax.set_axis_off()
    show(fig, "01_distance_definition.png")
    for r, c in zip(rr, cc):
        i = reg.ids[r, c]
        where = ("on void" if i == 0 else f"on a region of class {reg.cls[i]}: {reg.dist[r, c]:.1f} px deep, "
                 f"normalised {reg.dist[r, c] / reg.inradius[i]:.2f}")
        print(f"click at ({c}, {r}) of class {clicks[r, c]} {where}")
    """),
    md("""
    ## All statistics of the human clicks

    `dataset_statistics` measures every image (one record of counts and histograms each) and sums them.
    With `samples` it also keeps the normalised distances of labelled pixels (for a click: its pixel),
    separately for background and objects, for the comparisons further down.
    """),
    code("""
    human = {}
    samples = {}
    for ds in (train, val):
        summary, total = dataset_statistics(ds, weak, samples=10 ** 6, progress=False)
        human[ds.split] = summary
        samples[ds.split] = {g: np.asarray(total[f"samples_{g}"]) for g in GROUPS}
    for split, s in human.items():
        lf, sc, dis = s["labelled_fraction"], s["scribbles"], s["disagreement"]
        large = s["objects_touched"]["larger_than_1_percent"]
        print(f"{split}: {s['images']} images, labelled {100 * lf['mean_per_image']:.4f}% of the pixels, "
              f"{sc['per_image_mean']:.2f} clicks per image, objects > 1% of the image touched "
              f"{large['objects']:.3f} (background regions {large['background']:.3f}), "
              f"clicks off their class {dis['pixels_on_other_class']}, on void {dis['pixels_on_void']}")
    show(plot_statistics(human["train"], title="human clicks, VOC12-mini train"), "01_human_clicks_statistics.png")
    """),
    md("""
    Clicks are single pixels, so the width panel shows 1 and the length panel is degenerate; both become
    informative for scribbles (notebook 02). The object panels already say a lot: small objects are
    rarely clicked (one click per class, not per instance), and the depth of the clicks differs between
    background and objects, which we look at next.
    """),
    md("""
    ## Where people put their labels: objects vs background

    Object clicks are deliberate single clicks "on the object"; the background points are samples of
    real ScribbleSup scribbles. Their normalised distances, per split (train and val are independent
    samples of the same annotators, so they should agree; the KS test checks it):
    """),
    code("""
    tests = {}
    for g in GROUPS:
        t = ks_test(samples["train"][g], samples["val"][g])
        tests[g] = f"train vs val: KS {t['statistic']:.3f} (p={t['pvalue']:.2g})"
        print(g, t, "medians:", {s: round(float(np.median(v[g])), 3) for s, v in samples.items()})
    show(plot_distance_comparison({f"human {s}": v for s, v in samples.items()}, tests=tests,
                                  title="normalised distance of human labels to the boundary"),
         "01_click_distances.png")
    """),
    md("""
    ## Coverage per class

    Which share of the objects of each class gets at least one correct label, and which share of the
    images containing the class label it at all.
    """),
    code("""
    show(plot_coverage_comparison({f"human {s}": v for s, v in human.items()},
                                  title="coverage of the human clicks"), "01_click_coverage.png")
    for name, v in human["train"]["per_class"].items():
        print(f"{name:11} objects {v['objects']:5d}  touched {v['objects_touched_fraction']:.3f}  "
              f"large touched {v['large_objects_touched_fraction'] or 0:.3f}  "
              f"images labelled {v['images_with_class_labelled']}/{v['images_with_class']}")
    """),
    md("""
    ## Clicks that disagree with the mask

    A click can land on void (the masks' uncertain band, or a class outside the benchmark) or on another
    class. A few such clicks are expected from real annotators; the simulator of notebook 02 makes none.
    """),
    code("""
    bad = []
    for key in train.ids:
        m, c = train.mask(key), weak(train, key)
        for r, cc_ in zip(*np.nonzero((c != 255) & (c != m))):
            bad.append((key, r, cc_, c[r, cc_], m[r, cc_]))
    print(f"{len(bad)} of {sum(1 for k in train.ids for p in points[k] if p.cls in train.labels.keep)} "
          f"kept clicks disagree with the mask (train)")
    if bad:
        fig, axes = plt.subplots(1, min(4, len(bad)), figsize=(16, 3.6), dpi=70, squeeze=False)
        for ax, (key, r, c, said, truth) in zip(axes[0], bad[:4]):
            ax.imshow(overlay(train.image(key), train.mask(key), 0.45))
            ax.scatter([c], [r], s=80, c="yellow", edgecolors="black")
            ax.set_title(f"{key}: click says {train.labels.names[said]}, mask "
                         f"{'void' if truth == 255 else train.labels.names[truth]}", fontsize=8)
            ax.set_axis_off()
        show(fig, "01_click_disagreements.png")
    """),
    md("""
    ## ScribbleSup scribbles, when you have them

    Point `SCRIBBLESUP_DIR` at a folder of ScribbleSup files, either rasterised scribble PNGs
    (`pascal_2012_scribble/<id>.png`) or the XML files (`<id>.xml`, drawn 3 px wide), and the same
    statistics run on them. From the command line:

        python -m scribblegap stats --data voc12-mini --split train --labels /path/to/pascal_2012_scribble --out stats.json --figure stats.png
    """),
    code("""
    scribblesup = os.environ.get("SCRIBBLESUP_DIR")
    if scribblesup:
        sup, _ = dataset_statistics(train, WeakLabels(scribblesup, clip=True), progress=False)
        print(f"ScribbleSup: labelled {100 * sup['labelled_fraction']['mean_per_image']:.2f}% of the pixels")
        show(plot_statistics(sup, title="ScribbleSup scribbles, VOC12-mini train"), "01_scribblesup_statistics.png")
    else:
        print("SCRIBBLESUP_DIR is not set: the ScribbleSup scribbles are not available on this machine.")
    """),
    md("""
    ## Summary

    * One function, `dataset_statistics(dataset, weak_labels)`, measures any weak annotation against the
      masks: labelled pixels per image and class, scribbles per image and object, their length and width,
      objects touched by size, boundary distances (absolute and normalised), positions, disagreements.
    * The human clicks touch most large objects but few small ones, and the per-class rows show where
      one click per class falls short of one per object.
    * Object clicks and the background points from real scribbles sit at different depths (printed
      above); notebook 02 compares the simulator's strokes with both.

    ## Exercises

    1. Compute the statistics of the clicks drawn as discs (`WeakLabels("points", point_radius=5,
       clip=True)`). Which statistics change, and which must not?
    2. Split the object-click distances by class. Do people click deeper into cats than into persons?
    3. The image frame counts as a boundary here. Change `region_distances` to ignore it (pad with the
       region's own id) and see how the background distances move.
    4. If you have the ScribbleSup scribbles, compare their labelled fraction and width with the 3% at
       3 px quoted by the paper.
    """),
]

# ------------------------------------------------------------------------------------------- 02
NB02 = [
    md("""
    # 02 · Simulating scribbles at a budget

    The paper studies how the gap between weak and full supervision depends on the amount of annotation,
    with scribbles simulated from the dense masks "respecting scribble human annotation statistics", up to
    about 3% of the pixels. `scribblegap.scribbles.simulate_scribbles(mask, labels, budget)` does this:

    1. **Regions and core.** Each connected component of a class (background included) is a region. Its
       *core* holds the pixels far enough from the boundary that a pen of the chosen width stays inside,
       plus a margin (15% of the free depth): strokes keep away from boundaries.
    2. **Medial axis.** The core is thinned to a skeleton; the longest path through each skeleton piece is
       the region's main stroke, so it follows the shape. Skeleton branches far from it (legs, the other
       side of a background wrapped around an object) give further strokes.
    3. **Contours.** Wide regions also offer strokes along contours at fixed depths (40%, 20%, 70%, ... of
       the inradius) around the other regions: more coverage of a large background, asked for only when
       the budget needs it.
    4. **Budget.** Each region's ink grows as `area ** 0.6`; one number per image, solved by bisection,
       makes the labelled pixels hit `budget * H * W`. A region's first stroke lengthens from its middle
       outwards; further strokes start only when it is full. Every region large enough gets a stroke.
       Above 3% the pen widens a little too.
    5. **Hand.** Paths are smoothed and wobble sideways within the free space (reproducible noise from
       `seed` and the image id); pixels are kept only where the mask has the stroke's class, so no
       scribble pixel ever lies on another class or on void.

    The command line writes a folder of scribble PNGs and their statistics:
    `python -m scribblegap simulate --data voc12-mini --split train --budget 0.03 --seed 0 --out DIR`.
    """),
    code(SETUP),
    code("""
    import json
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np
    from IPython.display import display
    from skimage.segmentation import find_boundaries

    from scribblegap.data import load_dataset
    from scribblegap.scribbles import WeakLabels
    from scribblegap.scribbles.plots import (plot_budget_curve, plot_coverage_comparison, plot_distance_comparison)
    from scribblegap.scribbles.simulate import DEFAULT_BUDGET, simulate_image
    from scribblegap.scribbles.statistics import (GROUPS, find_regions, image_record, ks_test, merge_records,
                                                  summarize)
    from scribblegap.settings import REPO_ROOT, voc12_mini_dir
    from scribblegap.viz import colorize, save_figure

    _scratch = tempfile.TemporaryDirectory()  # a CI run writes its small figures there, not to figures/
    FIGURES = Path(_scratch.name) if SMOKE else REPO_ROOT / "figures"
    RESULTS = REPO_ROOT / "results" / "voc12-mini" / "simulator.json"  # scripts/bench_simulator.py
    BUDGETS = [0.005, 0.01, 0.03, 0.1]


    def show(fig, name):
        display(fig)
        save_figure(fig, FIGURES / name)


    def strokes_on(image, mask, labels):
        \"\"\"The image dimmed, mask boundaries in white, background strokes cyan, object strokes red.\"\"\"
        out = (0.55 * image + 0.45 * colorize(mask)).astype(np.uint8)
        out[find_boundaries(mask)] = 255
        on = labels != 255
        out[on] = np.where(labels[on, None] == 0, [0, 230, 255], [255, 30, 30])
        return out


    data = voc12_mini_dir()
    train = load_dataset(data, "train", limit=N_IMAGES)
    val = load_dataset(data, "val", limit=N_IMAGES)
    print(train, val, sep="\\n")
    """),
    md("""
    ## One image, step by step

    `simulate_image(..., steps=True)` keeps the intermediate results. On VOC-sized images the geometry is
    traced on every second pixel (the strokes are drawn at full resolution).
    """),
    code("""
    def one_object(ds):
        # the first image with a single object class covering 10-40% of it: a clear example
        for key in ds.ids:
            m = ds.mask(key)
            classes = [c for c in np.unique(m) if c not in (0, 255)]
            if len(classes) == 1 and 0.1 < (m == classes[0]).mean() < 0.4:
                return key
        return ds.ids[0]


    key = one_object(val)
    image, mask = val.image(key), val.mask(key)
    sim = simulate_image(mask, val.labels, DEFAULT_BUDGET, key=key, steps=True)
    st = sim.info["steps"]
    step = st["grid_step"]
    cands = st["candidates"]

    fig, axes = plt.subplots(2, 3, figsize=(17, 9), dpi=70)
    ax = axes.ravel()
    ax[0].imshow(image)
    ax[0].set_title(f"{key}")
    ax[1].imshow(np.where(st["ids"] > 0, st["dist"], np.nan), cmap="viridis")
    ax[1].set_title("regions: distance to the boundary (grid)")
    core_view = (0.5 * colorize(mask)[::step, ::step]).astype(np.uint8)
    on_background = mask[::step, ::step] == 0
    core_view[st["core"] & on_background] = (120, 200, 255)
    core_view[st["core"] & ~on_background] = (255, 210, 0)
    ax[2].imshow(core_view)
    ax[2].set_title("core (background blue, objects yellow): where stroke centres may go", fontsize=9)
    for a, phase_set, title in ((ax[3], {0}, "medial-axis paths (main, branches)"),
                                (ax[4], set(range(1, len(st["phases"]))), "contour paths")):
        a.imshow(colorize(mask)[::step, ::step], alpha=0.5)
        for c in cands:
            if c["phase"] in phase_set:
                p = c["path"] / step
                a.plot(p[:, 1], p[:, 0], "-", linewidth=2 if c["rank"] == 0 else 1)
        a.set_title(title)
    ax[5].imshow(strokes_on(image, mask, sim.labels))
    ax[5].set_title(f"drawn: {sim.info['strokes']} strokes, {100 * (sim.labels != 255).mean():.2f}% of the pixels")
    for a in ax:
        a.set_axis_off()
    show(fig, "02_steps.png")
    print("phases used:", st["phases"])
    """),
    md("""
    The allocation: every candidate stroke (path) with its region's class and area, its rank inside the
    region, its full length and the length drawn at the default budget. The main stroke of each region is
    drawn first; later ranks start only when the earlier ones are full.
    """),
    code("""
    reg_area = np.bincount(find_regions(mask).ids.ravel())
    print(f"{'class':11} {'rank':>4} {'phase':26} {'full px':>8} {'drawn px':>8}")
    for c, length in zip(cands, st["lengths"]):
        full = float(np.hypot(*np.diff(c["path"], axis=0).T).sum()) if len(c["path"]) > 1 else 0.0
        print(f"{val.labels.names[c['cls']]:11} {c['rank']:4d} {st['phases'][c['phase']]:26} {full:8.0f} "
              f"{length:8.0f}")
    print({k: v for k, v in sim.info.items() if k != "steps"})
    """),
    md("""
    ## Budgets 0.5%, 1%, 3%, 10%

    The same images at four budgets. More budget first lengthens the strokes (the low-budget strokes lie
    inside the high-budget ones), then adds strokes, and above 3% widens the pen.
    """),
    code("""
    keys = [train.ids[i] for i in (0, 4, 9)]
    fig, axes = plt.subplots(len(keys), len(BUDGETS), figsize=(4.2 * len(BUDGETS), 3.3 * len(keys)), dpi=70)
    for row, key in zip(axes, keys):
        image, mask = train.image(key), train.mask(key)
        for a, budget in zip(row, BUDGETS):
            s = simulate_image(mask, train.labels, budget, key=key)
            a.imshow(strokes_on(image, mask, s.labels))
            a.set_title(f"{key} budget {100 * budget:g}%: {100 * (s.labels != 255).mean():.2f}% "
                        f"({s.info['strokes']} strokes, pen {s.info['width']:.1f})", fontsize=8)
            a.set_axis_off()
    show(fig, "02_budgets.png")
    """),
    md("""
    ## Does the budget hold? Achieved vs target

    The target is the mean labelled fraction over a data set; the issue asks for it within 10% at every
    budget from 0.5% to 10%, with no scribble pixel on another class or void and at least 95% of the
    objects larger than 1% of the image touched at the default budget. First on this notebook's images:
    """),
    code("""
    rows, records = [], {}
    for ds in (train, val):
        for budget in BUDGETS:
            recs = []
            for key in ds.ids[: (8 if SMOKE else 60)]:
                m = ds.mask(key)
                recs.append(image_record(simulate_image(m, ds.labels, budget, key=key).labels, m, ds.labels))
            s = summarize(merge_records(recs), ds.labels)
            records[(ds.split, budget)] = s
            dis = s["disagreement"]
            rows.append({"split": ds.split, "target": budget, "achieved": s["labelled_fraction"]["mean_per_image"]})
            print(f"{ds.split:5} {s['images']:3d} images budget {budget:5.3f}: achieved "
                  f"{rows[-1]['achieved']:.5f} ({100 * (rows[-1]['achieved'] / budget - 1):+.1f}%), disagreeing "
                  f"pixels {dis['pixels_on_other_class'] + dis['pixels_on_void']}, objects > 1% touched "
                  f"{s['objects_touched']['larger_than_1_percent']['objects']}")
    """),
    md("""
    And on all of VOC12-mini, from the benchmark (`OMP_NUM_THREADS=1 python scripts/bench_simulator.py`,
    which writes `results/voc12-mini/simulator.json`):
    """),
    code("""
    if RESULTS.is_file():
        bench = json.loads(RESULTS.read_text())
        full_rows = bench["budgets"]
        print(f"{'split':6} {'images':>6} {'target':>7} {'achieved':>9} {'error':>7} {'disagree':>9} "
              f"{'objects>1% touched':>19} {'pen px':>6}")
        for r in full_rows:
            print(f"{r['split']:6} {r['images']:6d} {r['target']:7.3f} {r['achieved']:9.5f} "
                  f"{100 * r['relative_error']:+6.1f}% {r['disagreeing_pixels']:9d} "
                  f"{r['objects_larger_than_1pct_touched']['objects']:19.4f} {r['effective_width']:6.2f}")
        tp = bench["throughput"]
        print(f"\\nthroughput at the default budget ({tp['images']} train images, one process): "
              f"{tp['simulate_images_per_cpu_second']:.1f} images per CPU-second "
              f"({tp['simulate_images_per_wall_second']:.1f} per wall-clock second on a shared machine); "
              f"with reading the mask and writing the PNG {tp['read_simulate_write_images_per_cpu_second']:.1f}"
              f" per CPU-second; target {tp['target_images_per_second_per_core']:g} per core")
        print("done when:", bench["done_when"])
    else:
        full_rows = rows
        print(f"{RESULTS} is missing: run scripts/bench_simulator.py; plotting this notebook's images instead")
    show(plot_budget_curve(full_rows, title="VOC12-mini: budget vs achieved"), "02_budget_curve.png")
    """),
    md("""
    ## Simulated scribbles vs human annotation

    The human labels are points, not strokes, so we compare *where* they fall: the normalised distance to
    the boundary (0 at the edge, 1 at the object's deepest point), background and objects apart, with a
    two-sample Kolmogorov-Smirnov test (scipy's `ks_2samp`; the statistic is the largest gap between the
    two cumulative distributions), and the per-class coverage. For the simulated scribbles we sample 50
    labelled pixels per image and group.
    """),
    code("""
    pts = WeakLabels("points", clip=True)
    h_recs, s_recs = [], []
    for key in train.ids[: (20 if SMOKE else 300)]:
        m = train.mask(key)
        h_recs.append(image_record(pts(train, key), m, train.labels, samples=10 ** 6, key=key))
        s_recs.append(image_record(simulate_image(m, train.labels, key=key).labels, m, train.labels,
                                   samples=50, key=key))
    h_tot, s_tot = merge_records(h_recs), merge_records(s_recs)
    samples = {"human": {g: h_tot[f"samples_{g}"] for g in GROUPS},
               "simulated 3%": {g: s_tot[f"samples_{g}"] for g in GROUPS}}
    tests = {}
    for g in GROUPS:
        t = ks_test(samples["human"][g], samples["simulated 3%"][g])
        tests[g] = f"KS {t['statistic']:.3f} (p={t['pvalue']:.2g})"
        print(f"{g}: {tests[g]}, medians human {np.median(samples['human'][g]):.2f} "
              f"simulated {np.median(samples['simulated 3%'][g]):.2f}")
    show(plot_distance_comparison(samples, tests=tests, title=f"train, {len(h_recs)} images"),
         "02_distance_vs_human.png")
    show(plot_coverage_comparison({"human clicks": summarize(h_tot, train.labels),
                                   "simulated 3%": summarize(s_tot, train.labels)},
                                  title=f"coverage, train, {len(h_recs)} images"), "02_coverage_vs_human.png")
    """),
    md("""
    All the statistics of notebook 01, now for the simulated scribbles (same images): lengths, widths,
    strokes per object, depth and position.
    """),
    code("""
    from scribblegap.scribbles.plots import plot_statistics

    show(plot_statistics(summarize(s_tot, train.labels), title="simulated scribbles at 3%, VOC12-mini train"),
         "02_simulated_statistics.png")
    """),
    md("""
    The same comparison on all of VOC12-mini, from the benchmark's results file:
    """),
    code("""
    if RESULTS.is_file():
        for split, comp in bench["human_comparison"].items():
            for g, d in comp["distance"].items():
                print(f"{split:5} {g:10}: KS {d['ks']['statistic']:.3f} (p={d['ks']['pvalue']:.2g}, "
                      f"n={d['ks']['n1']} human / {d['ks']['n2']} simulated); median human "
                      f"{d['human_median']:.2f} simulated {d['simulated_median']:.2f}; quartiles human "
                      f"{np.round(d['human_quartiles'], 2).tolist()} simulated "
                      f"{np.round(d['simulated_quartiles'], 2).tolist()}")
            cov = comp["coverage"]
            print(f"      objects > 1% touched: human {cov['human']['_all']['objects_larger_than_1pct_touched']}"
                  f", simulated {cov['simulated']['_all']['objects_larger_than_1pct_touched']}")
            for name in cov["human"]:
                if name != "_all":
                    h, s = cov["human"][name], cov["simulated"][name]
                    print(f"      {name:11} objects touched human {h['objects_touched_fraction'] or 0:.3f} "
                          f"simulated {s['objects_touched_fraction'] or 0:.3f}; images labelled human "
                          f"{h['images_labelled_fraction'] or 0:.3f} simulated {s['images_labelled_fraction'] or 0:.3f}")
    """),
    md("""
    **What matches and what does not.** The numbers are the ones printed above (they come from the code,
    not from this text); what they say on the full data:

    * *Coverage* is where the simulator is closest to a careful annotator and better than the clicks:
      every object above 1% of the image gets a stroke, and so does every sizeable background piece, in
      every class. The clicks label one instance per class, so they miss part of the large objects and
      many objects of multi-instance classes (sheep, cows, persons, horses).
    * *Background depth* compares like with like (points sampled from real scribbles vs our strokes).
      Both spread over most of the depth range, but the simulated strokes sit deeper: the simulator keeps
      a margin from every boundary and follows medial axes, while people draw background scribbles right
      up to the objects. The KS statistic measures that gap; the `margin` and `contour_levels` options
      move the simulated distribution (exercise 2).
    * *Object depth* compares a click (one deliberate point near the middle) with a stroke (a line from
      the middle towards the ends of the object, and along its parts): strokes must reach shallower
      depths than clicks, so the simulated object labels lie shallower than the clicks. This gap is
      expected and says little about either.
    * Not measurable here: stroke length, count and width of human scribbles (the ScribbleSup files are
      not available); the simulator's default of 3% at 3 px follows the published ScribbleSup figure.
    """),
    md("""
    ## The embedded default data set

    The procedural scenes (128 px) have objects with thin parts (spikes, legs, teeth) that no pen of 3 px
    fits into: those parts, and objects too small to hold a stroke, stay unlabelled. `info` says how many
    regions and pixels that leaves out.
    """),
    code("""
    default = load_dataset("default", "train", limit=4)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.3), dpi=70)
    for a, key in zip(axes, default.ids):
        m = default.mask(key)
        s = simulate_image(m, default.labels, DEFAULT_BUDGET, key=key)
        a.imshow(strokes_on(default.image(key), m, s.labels))
        a.set_title(f"{key}: {100 * (s.labels != 255).mean():.2f}%, skipped {s.info['skipped_regions']} "
                    f"regions ({s.info['skipped_pixels']} px)", fontsize=8)
        a.set_axis_off()
    show(fig, "02_default_scenes.png")
    """),
    md("""
    ## Summary

    * `simulate_scribbles(mask, labels, budget, width, seed, key)` draws human-like strokes: along the
      medial axis of each region's core, then branches and contour strokes as the budget grows; every
      region large enough gets one, large backgrounds get several.
    * The budget is met per image (a bisection on one number), so the data-set mean is met at every
      budget from 0.5% to 10%, and no scribble pixel ever disagrees with the mask (both printed above).
    * Same seed, same files: an image's scribbles depend only on its mask, the settings and its id.
    * Compared with real human labels: coverage of large objects is complete (better than one click per
      class); the depth distributions differ by the KS statistics printed above.

    ## Exercises

    1. Set `area_exponent=1.0` (every region labelled in proportion to its area) and `0.3` (small objects
       favoured). How do the per-class labelled shares change?
    2. Change `margin` to 0.0 and 0.4 and compare the background depth distribution with the human points
       (KS statistic). Which margin matches best?
    3. Simulate with `width_growth=0` at 10%: what does the budget do to the number of strokes instead?
    4. Write the strokes of one image as a ScribbleSup XML (`write_scribble_xml`) and read them back with
       `WeakLabels` on the folder: do you get the same label map?
    """),
]


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    for name, cells in (("01_scribble_statistics.ipynb", NB01), ("02_scribble_simulation.ipynb", NB02)):
        print("wrote", write(root / "notebooks" / name, cells))
