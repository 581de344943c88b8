"""Every module ends its last demo with a "## Further reading" cell: where to go next, with real links.

The last demo of a module is the highest-numbered notebook in `notebooks/NN_<topic>/` that is neither a student
lab nor a solution. Read without running anything.
"""

from __future__ import annotations

import json
import re

import pytest

from includes.labs import is_student_lab
from includes.settings import REPO_ROOT

MODULE_FOLDERS = sorted(
    path for path in (REPO_ROOT / "notebooks").iterdir() if path.is_dir() and re.match(r"^\d\d_", path.name)
)
LINK = re.compile(r"\[[^\]]+\]\((https?://[^)\s]+)\)")


def last_demo(module):
    demos = sorted(path for path in module.glob("*.ipynb") if not is_student_lab(path))
    return demos[-1] if demos else None


def _param(module):
    demo = last_demo(module)
    return pytest.param(module, id=demo.name if demo else module.name)


@pytest.mark.parametrize("module", [_param(module) for module in MODULE_FOLDERS])
def test_the_last_demo_of_every_module_ends_with_further_reading(module):
    demo = last_demo(module)
    assert demo is not None, f"{module.name} has no demo notebook"
    cells = json.loads(demo.read_text())["cells"]
    last = "".join(cells[-1]["source"])
    assert cells[-1]["cell_type"] == "markdown" and "## Further reading" in last, (
        f"{demo.relative_to(REPO_ROOT)} should end with a markdown cell '## Further reading': "
        "the references for the module, one line each saying why to read it"
    )
    links = LINK.findall(last)
    assert links, f"{demo.relative_to(REPO_ROOT)}: the Further reading cell has no [text](https://...) link"


def test_reading_lists_stay_short():
    """3-7 references per module (a line may hold a paper and its companion site)."""
    for module in MODULE_FOLDERS:
        demo = last_demo(module)
        last = "".join(json.loads(demo.read_text())["cells"][-1]["source"])
        if "## Further reading" not in last:
            continue  # the test above reports it
        # An item is a "- " line with its indented continuation lines (a long title wraps).
        items = re.split(r"\n(?=- )", last[last.index("\n- ") + 1 :])
        assert 3 <= len(items) <= 7, f"{demo.name}: {len(items)} references; keep 3 to 7"
        unlinked = [item.split("\n")[0] for item in items if not LINK.search(item)]
        assert not unlinked, f"{demo.name}: every reference needs its link: {unlinked}"
