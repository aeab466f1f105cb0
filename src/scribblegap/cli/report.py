from scribblegap.core.errors import ConfigError
from scribblegap.core.layout import SUMMARY
from scribblegap.core.settings import REPO_ROOT
from scribblegap.experiment.configs import CONFIGS
from scribblegap.report.markdown import update_readme_blocks, write_report


def main(args):
    results = REPO_ROOT / "results"
    for name in (args.names or []) + list(args.claims if args.names else []):
        if not (results / name / SUMMARY).is_file():
            raise ConfigError(f"no results for {name!r}: {results / name / SUMMARY} is missing "
                              f"(run `scribblegap run --config {name}` first)")
    names = args.names or [n for n in CONFIGS if (results / n / SUMMARY).is_file()]
    for name in names:
        print(f"wrote {write_report(results / name, REPO_ROOT / 'figures')}")
    if args.readme:
        update_readme_blocks(REPO_ROOT / args.readme, results, names,
                             [n for n in args.claims if (results / n / SUMMARY).is_file()])
        print(f"updated {args.readme}")
