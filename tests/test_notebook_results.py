"""Stored results cannot go stale: every notebook cell tagged ``results-block`` shows one block computed from
the results files (:func:`scribblegap.report.blocks.results_block`), and its stored output must equal that
block computed again now. Editing a results file without executing the notebooks again fails here."""
import json
import re
from pathlib import Path

import pytest

from scribblegap.report.blocks import results_block

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CALL = re.compile(r"""results_block\(\s*["'](\w+)["']\s*(?:,\s*["']([\w.+-]+)["'])?\s*\)""")


def tagged_cells():
    for path in NOTEBOOKS:
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            if "results-block" in cell.get("metadata", {}).get("tags", []):
                yield pytest.param(path, index, cell, id=f"{path.stem}-cell{index + 1}")


def shown_markdown(cell) -> str | None:
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/markdown" in data:
            text = data["text/markdown"]
            return "".join(text) if isinstance(text, list) else text
    return None


@pytest.mark.parametrize("path, index, cell", list(tagged_cells()))
def test_a_stored_results_block_equals_the_results_files(path, index, cell):
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    call = CALL.search(source)
    assert call, f"{path.name} cell {index + 1} is tagged results-block but calls no results_block(kind, name)"
    kind, name = call.group(1), call.group(2) or "voc12-mini"
    shown = shown_markdown(cell)
    assert shown is not None, f"{path.name} cell {index + 1} has no stored output: execute the notebook"
    assert shown.strip() == results_block(kind, name).strip(), (
        f"{path.name} cell {index + 1} shows a stale {kind} block of {name}: `make notebooks` stores it again")


def test_the_check_catches_a_stale_block(tmp_path):
    """The comparison itself: a block computed from other results differs from the stored one."""
    results = tmp_path / "results" / "mini"
    results.mkdir(parents=True)
    (results / "summary.json").write_text(json.dumps({"F": {"n": 1, "miou": 0.5, "runs": []}}))
    before = results_block("gap", "mini", tmp_path / "results")
    (results / "summary.json").write_text(json.dumps({"F": {"n": 1, "miou": 0.6, "runs": []}}))
    assert results_block("gap", "mini", tmp_path / "results") != before


def test_the_notebooks_show_their_results_through_checked_blocks():
    kinds = {CALL.search("".join(c.values[2]["source"])).group(1) for c in tagged_cells()}
    assert {"claims", "gap", "budget"} <= kinds, f"results blocks found: {sorted(kinds)}"
