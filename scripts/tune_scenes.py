"""Which embedded scenes show the paper's mechanism? The main job's chain (F, B, W, pseudo-labels, and where
F beats B by distance to the boundary) on candidate knob sets of the scene generator.

    python scripts/tune_scenes.py                    # every candidate
    python scripts/tune_scenes.py --candidates plain

Each candidate runs ``scribblegap run --config default`` with its data spec (``default:hard,...``: the hard
scenes with some knobs changed) under the name ``scenes-<candidate>``; the table of all of them goes to
``results/scene_tuning.json``. Reruns resume.
"""
import argparse
import json
from dataclasses import replace

from scribblegap.configs import load_config
from scribblegap.io import write_json
from scribblegap.pipeline import Pipeline
from scribblegap.results import load_summary
from scribblegap.settings import REPO_ROOT

CANDIDATES = {
    # the hard scenes without their two traps: no body-coloured shadow, parts in their body's colour
    "plain": "default:hard,halo=0,part_hue_shift=0",
    # ... and fewer, wider thin parts, clutter mostly not in object colours: the gap moves to the boundaries
    "boundary": "default:hard,halo=0,part_hue_shift=0,thin_parts=3,thin_width=5,clutter_like_objects=0.3",
    # ... and weaker texture and hue spread: colour separates the objects, shape and extent still have to be learnt
    "colour": "default:hard,halo=0,part_hue_shift=0,thin_parts=3,thin_width=5,clutter_like_objects=0.3,"
              "texture=0.2,hue_spread=0.02",
    # ... and clutter almost never in object colours, flatter textures: what a per-image colour model needs
    "clean": "default:hard,halo=0,part_hue_shift=0,thin_parts=3,thin_width=5,clutter_like_objects=0.1,"
             "texture=0.1,hue_spread=0.02",
    # ... and bigger objects with short, wide parts that a CRF keeps: the gap sits in extent, as on VOC
    # (the default knobs of SceneConfig)
    "wide": "default:hard,halo=0,part_hue_shift=0,thin_parts=3,thin_width=7,thin_length=0.9,min_radius=0.18,"
            "max_radius=0.36,max_objects=3,clutter_like_objects=0.1,texture=0.1,hue_spread=0.02",
}
STAGES = ("chain", "F", "evaluate", "pseudo", "boundary")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--config", default="default", help="the pipeline config each candidate changes")
    parser.add_argument("--iters", type=int, default=500,
                        help="training steps of every network (the recorded candidates were measured at 500)")
    args = parser.parse_args()
    out = REPO_ROOT / "results" / "scene_tuning.json"
    table = json.loads(out.read_text()) if out.is_file() else {}
    for name in args.candidates:
        base = load_config(args.config)
        cfg = replace(base, name=f"scenes-{name}", data=CANDIDATES[name], stages=STAGES, progress=False,
                      train_overrides={**base.train_overrides, "iters": args.iters})
        Pipeline(cfg).run()
        s = load_summary(REPO_ROOT / "results" / cfg.name / "summary.json")
        boundary = load_summary(REPO_ROOT / "results" / cfg.name / "boundary.json")
        table[name] = {"data": CANDIDATES[name], "config": args.config, "iters": args.iters,
                       **{k: s[k]["miou"] for k in ("F", "B", "W") if k in s},
                       "pseudo_labels": {k: v["miou"] for k, v in s.get("pseudo_labels", {}).items()},
                       "boundary": {k: boundary.get(k) for k in ("bands", "pixel_share", "shares")}}
        write_json(out, table)
        t = table[name]
        print(f"{name}: F {100 * t['F']:.1f}  B {100 * t['B']:.1f}  W {100 * t['W']:.1f}  pseudo-labels "
              + ", ".join(f"{k} {100 * v:.1f}" for k, v in t["pseudo_labels"].items()), flush=True)


if __name__ == "__main__":
    main()
