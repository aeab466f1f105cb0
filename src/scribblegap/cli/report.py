HELP = "regenerate results/<name>/report.md, the figures and the README's results blocks from the results files"


def add_arguments(p):
    p.add_argument("--names", nargs="+", default=None,
                   help="results/<name> folders (default: the folder of every named config that has one)")
    p.add_argument("--claims", nargs="+", default=["voc12-mini", "default"],
                   help="results folders the README's claims table judges")
    p.add_argument("--readme", default="README.md", help="README whose results blocks are replaced ('' for none)")


def main(args):
    from ..configs import CONFIGS
    from ..report import update_readme_blocks, write_report
    from ..settings import REPO_ROOT

    results = REPO_ROOT / "results"
    names = args.names or [n for n in CONFIGS if (results / n / "summary.json").is_file()]
    for name in names:
        print(f"wrote {write_report(results / name, REPO_ROOT / 'figures')}")
    if args.readme:
        update_readme_blocks(REPO_ROOT / args.readme, results, names,
                             [n for n in args.claims if (results / n / "summary.json").is_file()])
        print(f"updated {args.readme}")
