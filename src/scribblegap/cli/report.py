HELP = "regenerate results/<name>/report.md, the figures and the README's results section"


def add_arguments(p):
    p.add_argument("--names", nargs="+", default=["voc12-mini", "default", "default-variant"], help="results/<name> folders")
    p.add_argument("--readme", default="README.md", help="README whose results blocks are replaced ('' for none)")


def main(args):
    from pathlib import Path

    from ..report import update_benchmarks, update_claims, write_report

    for name in args.names:
        path = write_report(Path("results") / name, Path("figures"), readme=args.readme or None)
        print(f"wrote {path}")
    if args.readme:
        update_benchmarks(args.readme)
        update_claims(args.readme, "results", args.names)
