"""The experiment: training runs as values, the pipeline configs, the chain as stage functions, and the
results files (notebooks 06 and 07)."""
