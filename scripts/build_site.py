"""Build the course's read-only site: every demo and lab solution executed and rendered to HTML.

    make site            # full data wherever it fits (each cell within the budget), small data elsewhere
    make site SMALL=1    # the quick small-data version of every page
    make site FORCE=1    # rebuild every page, even those already built from the same notebook

Writes site/index.html and one page per notebook, so learners can read outputs and plots
without running anything. Student labs are not rendered (they stop at their first blank).

"Where it fits": with full data, a notebook whose cell runs longer than the budget (--budget minutes,
10 by default) is stopped and rendered again with the small-data flag; the index says which pages those
are and why. Built pages are remembered in site/pages.json: a later `make site` only executes the
notebooks that changed or are missing, so the long build can be done in several sittings.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))

from includes.labs import is_student_lab  # noqa: E402  (the same rule the test suite uses)
from includes.settings import SMALL_ENV, small_data  # noqa: E402  (the course's own reading of the flag)


@dataclass
class Page:
    """One rendered notebook, as recorded in site/pages.json."""

    notebook: str  # path under notebooks/
    html: str  # path under the site folder
    digest: str  # of the notebook file the page was built from
    data: str  # "full" or "small"
    seconds: float
    status: str  # "ok" or "stopped: <error>"
    note: str = ""  # why a full-data site shows the small-data version
    commit: str = ""
    built: str = ""


def course_notebooks(pattern: str = "*") -> list[Path]:
    paths = sorted(NOTEBOOKS.glob(f"*/{pattern}.ipynb")) + sorted(NOTEBOOKS.glob(f"*/solutions/{pattern}.ipynb"))
    return sorted((p for p in paths if not is_student_lab(p)), key=lambda p: p.name)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def current_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def execute(path: Path, small: bool, cell_budget_s: float) -> tuple[nbformat.NotebookNode, str]:
    """Run the notebook in a fresh kernel with the small-data flag set as asked; return it and a status."""
    notebook = nbformat.read(path, as_version=4)
    os.environ[SMALL_ENV] = "1" if small else "0"  # the kernel inherits this environment
    try:
        NotebookClient(
            notebook,
            timeout=int(cell_budget_s),
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    except CellTimeoutError:
        return notebook, "over budget"
    except Exception as error:  # keep the page: it shows where and why it stopped
        return notebook, f"stopped: {type(error).__name__}"
    return notebook, "ok"


def collapse_progress_updates(notebook: nbformat.NotebookNode) -> None:
    """Keep only the last state of each progress bar, as Jupyter shows it.

    A progress bar redraws its line after a carriage return, often as a new output each time; the executed
    notebook keeps every redraw, which a web page would print one after another. Consecutive outputs of
    the same stream are joined first, then each line keeps what follows its last carriage return.
    """
    for cell in notebook.cells:
        joined = []
        for output in cell.get("outputs", []):
            previous = joined[-1] if joined else None
            if (
                output.get("output_type") == "stream"
                and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")
            ):
                previous["text"] += output["text"]
            else:
                joined.append(output)
        for output in joined:
            if output.get("output_type") == "stream" and "\r" in output.get("text", ""):
                lines = output["text"].replace("\r\n", "\n").split("\n")
                output["text"] = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)
        if "outputs" in cell:
            cell["outputs"] = joined


def render(path: Path, out_dir: Path, small: bool, budget_minutes: float) -> Page:
    started = time.perf_counter()
    notebook, status = execute(path, small, budget_minutes * 60)
    data, note = ("small" if small else "full"), ""
    if status == "over budget":
        note = f"with full data a cell ran over {budget_minutes:g} min on this machine"
        print(f"{path.name}: {note}; rendering the small-data version instead", flush=True)
        notebook, status = execute(path, True, 3600)
        data = "small"
    collapse_progress_updates(notebook)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    target = out_dir / path.relative_to(NOTEBOOKS).with_suffix(".html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return Page(
        notebook=path.relative_to(NOTEBOOKS).as_posix(),
        html=target.relative_to(out_dir).as_posix(),
        digest=digest(path),
        data=data,
        seconds=round(time.perf_counter() - started, 1),
        status=status,
        note=note,
        commit=current_commit(),
        built=time.strftime("%Y-%m-%d"),
    )


def load_pages(out_dir: Path) -> dict[str, Page]:
    manifest = out_dir / "pages.json"
    if not manifest.exists():
        return {}
    return {entry["notebook"]: Page(**entry) for entry in json.loads(manifest.read_text())}


def save_pages(out_dir: Path, pages: dict[str, Page]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = [asdict(page) for _, page in sorted(pages.items())]
    (out_dir / "pages.json").write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")


def is_up_to_date(page: Page | None, path: Path, out_dir: Path, small: bool) -> bool:
    """A page is kept when it was built from this very notebook, in this mode, and ran to the end."""
    if page is None or page.status != "ok" or not (out_dir / page.html).exists():
        return False
    if page.digest != digest(path):
        return False
    return page.data == "small" if small else (page.data == "full" or bool(page.note))


def module_of(notebook: str) -> str:
    return notebook.split("/")[0]


def write_index(out_dir: Path, pages: list[Page], small: bool) -> Path:
    rows = []
    for page in sorted(pages, key=lambda p: (module_of(p.notebook), Path(p.notebook).name)):
        kind = "lab (solution)" if "/solutions/" in page.notebook else "demo"
        data = page.data + (f" ({page.note})" if page.note else "")
        rows.append(
            f"<tr><td>{html.escape(module_of(page.notebook))}</td>"
            f"<td><a href='{html.escape(page.html)}'>{html.escape(Path(page.notebook).stem)}</a></td>"
            f"<td>{kind}</td><td>{html.escape(data)}</td><td>{page.seconds:.0f} s</td>"
            f"<td>{html.escape(page.status)}</td><td>{html.escape(page.built)} {html.escape(page.commit)}"
            "</td></tr>"
        )
    intro = (
        "the small-data version of every notebook"
        if small
        else "full data wherever every cell finishes within the build's time budget on 2 CPU cores; "
        "the data column says where the small-data version is shown instead"
    )
    index = out_dir / "index.html"
    index.write_text(
        "<!doctype html><meta charset='utf-8'><title>Deep Learning with Keras, TensorFlow and Apache Spark</title>"
        "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto}td,th{padding:.3em .8em;"
        "text-align:left}tr:nth-child(even){background:#f4f4f4}</style>"
        "<h1>Deep Learning with Keras, TensorFlow and Apache Spark</h1>"
        f"<p>Every demo and lab solution of the course, executed and rendered with its outputs: {intro}. "
        "Student labs are not shown: they are these solutions with blanks.</p>"
        "<table><tr><th>module</th><th>notebook</th><th>kind</th><th>data</th><th>time</th><th>status</th>"
        "<th>built</th></tr>" + "".join(rows) + "</table>",
        encoding="utf-8",
    )
    return index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "site"))
    parser.add_argument("--only", default="*", help="a glob of notebook names, e.g. '01.*'")
    parser.add_argument(
        "--budget",
        type=float,
        default=10.0,
        help="minutes one cell may run with full data before the page falls back to small data",
    )
    parser.add_argument("--force", action="store_true", help="rebuild pages that are up to date")
    args = parser.parse_args(argv)
    small = small_data()
    out_dir = Path(args.out)
    pages = load_pages(out_dir)
    selected = course_notebooks(args.only)
    todo = [
        path
        for path in selected
        if args.force or not is_up_to_date(pages.get(path.relative_to(NOTEBOOKS).as_posix()), path, out_dir, small)
    ]
    print(
        f"{len(todo)} notebooks to execute ({'small' if small else 'full'} data), "
        f"{len(selected) - len(todo)} pages up to date",
        flush=True,
    )
    for number, path in enumerate(todo, start=1):
        print(f"[{number}/{len(todo)}] {path.relative_to(NOTEBOOKS)} ...", flush=True)
        page = render(path, out_dir, small, args.budget)
        print(f"    {page.status}, {page.data} data, {page.seconds:.0f} s", flush=True)
        pages[page.notebook] = page
        save_pages(out_dir, pages)  # after every page: an interrupted build keeps what it finished
    current = {path.relative_to(NOTEBOOKS).as_posix() for path in course_notebooks()}
    shown = [page for name, page in pages.items() if name in current]
    print(f"Wrote {write_index(out_dir, shown, small)}")
    return 0 if all(page.status == "ok" for page in shown) else 1


if __name__ == "__main__":
    sys.exit(main())
