from pathlib import Path

from scribblegap.data.download import fetch, voc_dir
from scribblegap.data.example import EXAMPLE, build_example


def main(args):
    what = [w.strip() for w in args.what.split(",") if w.strip()]
    if "example" in what:  # built here, offline: nothing to download
        folder = Path(args.root) / EXAMPLE
        print(f"{folder}: worked example {build_example(folder)}; use it with --data {folder}")
        what.remove("example")
        if not what:
            return
    status = fetch(args.root, ",".join(what), base_url=args.base_url, sha256=args.sha256,
                   keep_archives=args.keep_archives)
    voc = voc_dir(args.root)
    print(f"{voc}: " + ", ".join(f"{name} {state}" for name, state in status.items()))
    if "sbd" in status:
        print(f"use it with --data {voc} --split train_aug")
