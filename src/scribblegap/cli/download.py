from scribblegap.data.download import fetch, voc_dir


def main(args):
    status = fetch(args.root, args.what, base_url=args.base_url, sha256=args.sha256,
                   keep_archives=args.keep_archives)
    voc = voc_dir(args.root)
    print(f"{voc}: " + ", ".join(f"{name} {state}" for name, state in status.items()))
    if "sbd" in status:
        print(f"use it with --data {voc} --split train_aug")
