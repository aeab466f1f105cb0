import json
import time

from scribblegap.core.errors import ConfigError
from scribblegap.experiment.configs import load_config, show
from scribblegap.pipeline import layout_of, run
from scribblegap.report.markdown import headline

FLAGS = ("stages", "seeds", "budgets", "workers", "progress")  # run's flags: fields of the pipeline config


def main(args):
    overrides = dict(args.settings)
    for name in FLAGS:
        value = getattr(args, name)
        if value is None:
            continue
        if name in overrides:
            raise ConfigError(f"{name} is given twice: as --{name} and as --set {name}=...; give it once")
        overrides[name] = tuple(value) if isinstance(value, list) else value
    config = load_config(args.config, **overrides)
    if args.show:
        print(show(config))
        return
    start = time.time()
    timings = run(config)
    print(json.dumps(timings, indent=1))
    print(f"whole chain: {time.time() - start:.0f} s")
    layout = layout_of(config)
    for line in headline(layout.results):
        print(line)
