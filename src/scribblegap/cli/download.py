HELP = ("download PASCAL VOC 2012 trainval, the SBD masks (-> SegmentationClassAug, train_aug) and the "
        "ScribbleSup scribbles into ROOT/VOCdevkit/VOC2012; checksums verified, resumable")


def add_arguments(p):
    p.add_argument("--root", required=True, help="folder to fill (VOC lands in ROOT/VOCdevkit/VOC2012)")
    p.add_argument("--what", default="all", help="comma-separated sources: voc, sbd, scribblesup, or all")
    p.add_argument("--base-url", default=None,
                   help="mirror holding the archives under their original file names; "
                        "falls back to $SCRIBBLEGAP_MIRROR, then the official URLs")
    p.add_argument("--sha256", default=None,
                   help="expected sha256 of scribble_annotation.zip (ScribbleSup publishes no checksum; "
                        "the first download prints the one it got)")
    p.add_argument("--keep-archives", action="store_true",
                   help="keep the downloaded archives in ROOT/downloads after unpacking")


def main(args):
    from ..data.download import fetch, voc_dir

    status = fetch(args.root, args.what, base_url=args.base_url, sha256=args.sha256,
                   keep_archives=args.keep_archives)
    voc = voc_dir(args.root)
    print(f"{voc}: " + ", ".join(f"{name} {state}" for name, state in status.items()))
    if "sbd" in status:
        print(f"use it with --data {voc} --split train_aug")
