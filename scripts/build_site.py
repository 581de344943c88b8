"""Build the course's read-only site: every demo and lab solution executed and rendered to HTML.

    make site            # full data (slow: the whole course, about an hour on 2 cores)
    make site SMALL=1    # the quick small-data version

Writes site/index.html and one page per notebook, so learners can read outputs and plots
without running anything. Student labs are not rendered (they stop at their first blank).
"""
from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))

from includes.labs import is_student_lab  # noqa: E402  (the same rule the test suite uses)


def course_notebooks(pattern: str = "*") -> list[Path]:
    paths = sorted(NOTEBOOKS.glob(f"*/{pattern}.ipynb")) + sorted(NOTEBOOKS.glob(f"*/solutions/{pattern}.ipynb"))
    return sorted((p for p in paths if not is_student_lab(p)), key=lambda p: p.name)


def render(path: Path, out_dir: Path) -> tuple[Path, float, str]:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    status = "ok"
    try:
        NotebookClient(notebook, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as error:  # keep the page: it shows where and why it stopped
        status = f"stopped: {type(error).__name__}"
    body, _ = HTMLExporter().from_notebook_node(notebook)
    target = out_dir / path.relative_to(NOTEBOOKS).with_suffix(".html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target, time.perf_counter() - started, status


def write_index(out_dir: Path, pages: list[tuple[Path, Path, float, str]], small: bool) -> Path:
    rows = []
    for source, page, seconds, status in pages:
        kind = "lab (solution)" if source.parent.name == "solutions" else "demo"
        link = page.relative_to(out_dir).as_posix()
        rows.append(f"<tr><td>{html.escape(source.parent.name if kind == 'demo' else source.parent.parent.name)}"
                    f"</td><td><a href='{link}'>{html.escape(source.stem)}</a></td><td>{kind}</td>"
                    f"<td>{seconds:.0f} s</td><td>{html.escape(status)}</td></tr>")
    data = "small-data version" if small else "full data"
    index = out_dir / "index.html"
    index.write_text(
        "<!doctype html><meta charset='utf-8'><title>Deep Learning with Keras, TensorFlow and Apache Spark</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.3em .8em;"
        "text-align:left}tr:nth-child(even){background:#f4f4f4}</style>"
        "<h1>Deep Learning with Keras, TensorFlow and Apache Spark</h1>"
        f"<p>Every notebook of the course, executed ({data}) on {time.strftime('%Y-%m-%d')}.</p>"
        "<table><tr><th>module</th><th>notebook</th><th>kind</th><th>time</th><th>status</th></tr>"
        + "".join(rows) + "</table>", encoding="utf-8")
    return index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "site"))
    parser.add_argument("--only", default="*", help="a glob of notebook names, e.g. '01.*'")
    args = parser.parse_args(argv)
    import os

    small = os.environ.get("COURSE_SMALL_DATA", "0") not in ("", "0", "false", "no")
    out_dir = Path(args.out)
    pages = []
    for path in course_notebooks(args.only):
        page, seconds, status = render(path, out_dir)
        print(f"{path.relative_to(NOTEBOOKS)}: {status}, {seconds:.0f} s")
        pages.append((path, page, seconds, status))
    print(f"Wrote {write_index(out_dir, pages, small)}")
    return 0 if all(status == "ok" for *_, status in pages) else 1


if __name__ == "__main__":
    sys.exit(main())
