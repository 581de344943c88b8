"""Build the course's read-only site: every demo and lab solution executed and rendered to HTML.

    make site            # full data wherever it fits (each cell within the budget), small data elsewhere
    make site SMALL=1    # the quick small-data version of every page
    make site FORCE=1    # rebuild every page, even those already built from the same notebook

Writes site/index.html and one page per notebook, so learners can read outputs and plots
without running anything. Student labs are not rendered (they stop at their first blank).

"Where it fits": with full data, a notebook whose cell runs longer than the budget (--budget minutes,
10 by default) is stopped and rendered again with the small-data flag; the index says which pages those
are and why. Built pages are remembered in site/pages.json: a later `make site` only executes the
notebooks that changed or are missing, so the long build can be done in several sittings
(`--stop-after MINUTES` ends a sitting cleanly: no new notebook starts after that time).

The index groups the pages by module, in course order, under each module's line of the README's agenda
(the README is the one source of the agenda: its tables are read here, never restated). Every page gets a
bar with the course index, the previous and next page, and links to its notebook on GitHub (for a lab, the
student version and the solution); the repository's address comes from pyproject's [project.urls], or
GitHub Actions' own variables, or the git remote (`repository_url`).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
PYPROJECT = ROOT / "pyproject.toml"
sys.path.insert(0, str(ROOT))

from includes.labs import is_student_lab  # noqa: E402  (the same rule the test suite uses)
from includes.labs.generator import SOLUTIONS_FOLDER, student_lab_of  # noqa: E402  (where a lab's two versions live)
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
    in_module_folders = sorted(NOTEBOOKS.glob(f"*/{pattern}.ipynb"))
    paths = in_module_folders + sorted(NOTEBOOKS.glob(f"*/{SOLUTIONS_FOLDER}/{pattern}.ipynb"))
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


# --- The agenda, read from the README (its one source) ------------------------------------------------------


@dataclass
class Module:
    """One module of the course: its folder under notebooks/ and its line of the README's agenda."""

    folder: str  # e.g. "01_keras"
    title: str  # e.g. "01 Keras"
    demos: str = ""
    labs: str = ""


def markdown_section(text: str, heading: str) -> str:
    """The text under a heading (`## Agenda`), up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == heading:
            inside = True
            continue
        match = re.match(r"(#+)\s", line)
        if inside and match and len(match.group(1)) <= level:
            break
        if inside:
            lines.append(line)
    return "\n".join(lines)


def markdown_tables(text: str) -> list[tuple[list[list[str]], str]]:
    """Each pipe table of a markdown text, as rows of cells (the header row first, the |---| line dropped),
    with the paragraph right after it ("" when a heading, a table or code follows instead)."""
    tables, rows, after, state = [], [], [], "text"
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            if state == "after":
                tables.append((rows, " ".join(after)))
                rows, after = [], []
            state = "table"
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                rows.append(cells)
        elif state == "table":
            state = "after"
        if state == "after" and line.strip() and not line.startswith("|"):
            if after or not line.lstrip().startswith(("#", "```")):
                after.append(line.strip())
            else:
                state = "done"
        elif state == "after" and after and not line.strip():
            state = "done"
        if state == "done":
            tables.append((rows, " ".join(after)))
            rows, after, state = [], [], "text"
    if rows:
        tables.append((rows, " ".join(after)))
    return tables


def read_agenda(readme: str) -> tuple[list[dict[str, str]], list[list[str]], str]:
    """The README's agenda: its module rows (keyed by the table's header), the live-class schedule table
    (header row first) and the paragraph that follows the schedule."""
    tables = markdown_tables(markdown_section(readme, "## Agenda"))
    modules = []
    if tables:
        header = [cell.lower() for cell in tables[0][0][0]]
        modules = [dict(zip(header, row)) for row in tables[0][0][1:]]
    schedule, after_schedule = tables[1] if len(tables) > 1 else ([], "")
    return modules, schedule, after_schedule


def module_for(folder: str, agenda: list[dict[str, str]]) -> Module:
    """The agenda line of a notebooks/ folder: "01_keras" is the row "01 Keras", "10_appendix" the row "Appendix"."""
    number, _, name = folder.partition("_")
    for row in agenda:
        label = row.get("module", "")
        if label.split(" ")[0] == number or label.lower() == name.replace("_", " "):
            return Module(folder, label, row.get("demos", ""), row.get("labs", ""))
    return Module(folder, f"{number} {name.replace('_', ' ').capitalize()}")


def inline_markdown(text: str) -> str:
    """A README table cell as HTML: escaped, with `code` spans (all the agenda's cells use)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


# --- Course order, titles and links -----------------------------------------------------------------------------


def is_solution(notebook: str) -> bool:
    return Path(notebook).parent.name == SOLUTIONS_FOLDER


def course_key(notebook: str) -> tuple:
    """Course order: by module folder, then by notebook number, a lab after the demo of the same number."""
    number = Path(notebook).stem.split("_")[0]  # "01.2", "01.2L", "A.1"
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in number.rstrip("L").split("."))
    return module_of(notebook), parts, number.endswith("L"), Path(notebook).name


def notebook_headings(path: Path) -> list[str]:
    """The markdown headings of a notebook, its title first (read from the file: nothing is executed)."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return []
    headings = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            headings += [m.group(1).strip() for m in re.finditer(r"^#{1,3}\s+(.+)$", cell.source, re.MULTILINE)]
    return headings


def repository_url(explicit: str | None = None) -> str | None:
    """The course's repository on GitHub, from one place, the first that says: the --repository option,
    pyproject's [project.urls] (Repository or Source), the GitHub Actions run's own repository, or the git
    remote `origin`. None where none does (the pages then have no source links)."""
    if explicit:
        return explicit.rstrip("/")
    try:
        import tomllib

        urls = tomllib.loads(PYPROJECT.read_text()).get("project", {}).get("urls", {})
    except (OSError, ValueError):
        urls = {}
    for key in ("Repository", "repository", "Source", "source"):
        if urls.get(key):
            return urls[key].rstrip("/").removesuffix(".git")
    if os.environ.get("GITHUB_REPOSITORY"):
        return f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{os.environ['GITHUB_REPOSITORY']}"
    try:
        remote = subprocess.run(
            ["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    remote = re.sub(r"^git@([^:]+):", r"https://\1/", remote).removesuffix(".git")
    return remote if remote.startswith("https://") else None


def source_ref() -> str:
    """Which version of the notebooks the links show: the commit a GitHub Actions run builds, else main."""
    return os.environ.get("GITHUB_SHA") or "main"


def source_links(notebook: str, repository: str | None, ref: str, notebooks_dir: Path = NOTEBOOKS) -> list:
    """(label, url) of a page's notebook on GitHub: a demo's notebook; a lab's student version and solution."""
    if not repository:
        return []
    base = f"{repository}/blob/{quote(ref)}/{notebooks_dir.name}/"
    if not is_solution(notebook):
        return [("notebook", base + quote(notebook))]
    student = student_lab_of(Path(notebook)).as_posix()
    links = [("student version", base + quote(student))] if (notebooks_dir / student).exists() else []
    return links + [("solution", base + quote(notebook))]


def group_by_module(notebooks: list[str], agenda: list[dict[str, str]]) -> list[tuple[Module, list[str]]]:
    """The notebooks grouped by module, modules in folder order and notebooks in course order."""
    groups: dict[str, list[str]] = {}
    for notebook in sorted(notebooks, key=course_key):
        groups.setdefault(module_of(notebook), []).append(notebook)
    return [(module_for(folder, agenda), names) for folder, names in sorted(groups.items())]


# --- The index and the navigation bar of each page --------------------------------------------------------------

SEARCH_SCRIPT = """
<script>
// Filters the index as you type: a page stays when every word is in its name, title or headings.
document.getElementById('search').addEventListener('input', event => {
  const words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
  for (const section of document.querySelectorAll('section.module')) {
    let shown = 0;
    for (const row of section.querySelectorAll('tr[data-search]')) {
      const hit = words.every(word => row.dataset.search.includes(word));
      row.hidden = !hit;
      shown += hit;
    }
    section.hidden = shown === 0;
  }
});
</script>"""


def write_index(
    out_dir: Path,
    pages: list[Page],
    small: bool,
    pending: list[str] = (),
    agenda: str | None = None,
    repository: str | None = None,
    ref: str = "main",
    notebooks_dir: Path = NOTEBOOKS,
) -> Path:
    """site/index.html: the agenda's schedule, then each module's line of the agenda and its pages.

    `pending` names notebooks (under notebooks/) with no page yet; `agenda` is the README's text (read from
    README.md when not given)."""
    modules, schedule, after_schedule = read_agenda(README.read_text(encoding="utf-8") if agenda is None else agenda)
    by_notebook = {page.notebook: page for page in pages}
    sections = []
    for module, notebooks in group_by_module([*by_notebook, *pending], modules):
        rows = []
        for notebook in notebooks:
            page = by_notebook.get(notebook)
            headings = notebook_headings(notebooks_dir / notebook)
            title = headings[0] if headings else Path(notebook).stem
            kind = "lab (solution)" if is_solution(notebook) else "demo"
            links = " · ".join(
                f"<a href='{html.escape(url)}'>{label}</a>"
                for label, url in source_links(notebook, repository, ref, notebooks_dir)
            )
            search = " ".join([Path(notebook).stem, module.title, *headings]).lower()
            if page is None:
                name, facts = html.escape(Path(notebook).stem), "<td colspan='4'>not built yet</td>"
            else:
                name = f"<a href='{html.escape(page.html)}'>{html.escape(Path(notebook).stem)}</a>"
                data = page.data + (f" ({page.note})" if page.note else "")
                facts = (
                    f"<td>{html.escape(data)}</td><td>{page.seconds:.0f} s</td><td>{html.escape(page.status)}</td>"
                    f"<td>{html.escape(page.built)} {html.escape(page.commit)}</td>"
                )
            rows.append(
                f"<tr data-search='{html.escape(search)}'><td>{name}</td><td>{html.escape(title)}</td>"
                f"<td>{kind}</td>{facts}<td>{links}</td></tr>"
            )
        topics = "".join(
            f"<p><b>{label}:</b> {inline_markdown(text)}</p>"
            for label, text in (("Demos", module.demos), ("Labs", module.labs))
            if text
        )
        sections.append(
            f"<section class='module' id='{html.escape(module.folder)}'><h2>{html.escape(module.title)}</h2>"
            f"{topics}<table><tr><th>notebook</th><th>title</th><th>kind</th><th>data</th><th>time</th>"
            "<th>status</th><th>built</th><th>on GitHub</th></tr>" + "".join(rows) + "</table></section>"
        )
    schedule_html = ""
    if schedule:
        head = "".join(f"<th>{inline_markdown(cell)}</th>" for cell in schedule[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{inline_markdown(cell)}</td>" for cell in row) + "</tr>" for row in schedule[1:]
        )
        schedule_html = (
            "<details><summary>Suggested schedule for a live class</summary>"
            f"<table><tr>{head}</tr>{body}</table><p>{inline_markdown(after_schedule)}</p></details>"
        )
    intro = (
        "the small-data version of every notebook"
        if small
        else "full data wherever every cell finishes within the build's time budget on 2 CPU cores; "
        "the data column says where the small-data version is shown instead"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    index.write_text(
        "<!doctype html><meta charset='utf-8'><title>Deep Learning with Keras, TensorFlow and Apache Spark</title>"
        "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em}td,th{padding:.3em .8em;"
        "text-align:left;vertical-align:top}tr:nth-child(even){background:#f4f4f4}section.module{margin-top:2em}"
        "#search{font-size:1em;padding:.3em;width:24em}</style>"
        "<h1>Deep Learning with Keras, TensorFlow and Apache Spark</h1>"
        f"<p>Every demo and lab solution of the course, executed and rendered with its outputs: {intro}. "
        "Student labs are not shown: they are these solutions with blanks (each lab links to both on GitHub).</p>"
        f"{schedule_html}"
        "<p><label>Find a page: <input id='search' type='search' placeholder='a name or a topic, e.g. dropout'>"
        "</label></p>" + "".join(sections) + SEARCH_SCRIPT,
        encoding="utf-8",
    )
    return index


NAV_START, NAV_END = "<!-- course-nav -->", "<!-- /course-nav -->"


def navigation_bar(
    page: Page, previous: Page | None, following: Page | None, links: list, titles: dict[str, str]
) -> str:
    """The bar at the top and the bottom of a page: the index, the previous and next page, the notebook's links."""

    def href(target: str) -> str:
        return html.escape(os.path.relpath(target, Path(page.html).parent.as_posix() or "."))

    items = [f"<a href='{href('index.html')}'>Course index</a>"]
    if previous:
        items.append(f"<a rel='prev' href='{href(previous.html)}'>← {html.escape(titles[previous.notebook])}</a>")
    if following:
        items.append(f"<a rel='next' href='{href(following.html)}'>{html.escape(titles[following.notebook])} →</a>")
    items += [f"<a href='{html.escape(url)}'>{label} on GitHub</a>" for label, url in links]
    # nbconvert's page styles links like text: the bar's own rule makes them look like links.
    return (
        f"{NAV_START}<style>nav.course-nav a{{color:#0b57d0;text-decoration:underline}}</style>"
        "<nav class='course-nav' style='font-family:sans-serif;padding:.6em 1em;background:#eef2f7;"
        "display:flex;gap:1.5em;flex-wrap:wrap'>" + "".join(items) + f"</nav>{NAV_END}"
    )


def with_navigation(body: str, bar: str) -> str:
    """The page with the bar after <body> and before </body>, replacing the bar an earlier build put there."""
    body = re.sub(re.escape(NAV_START) + ".*?" + re.escape(NAV_END), "", body, flags=re.DOTALL)
    body = re.sub(r"(<body[^>]*>)", lambda match: match.group(1) + bar, body, count=1)
    return body.replace("</body>", bar + "</body>", 1) if "</body>" in body else body + bar


def write_navigation(
    out_dir: Path, pages: list[Page], repository: str | None, ref: str, notebooks_dir: Path = NOTEBOOKS
) -> None:
    """Give every built page its bar, in course order (rewritten on each build, so it follows new pages)."""
    ordered = sorted(pages, key=lambda page: course_key(page.notebook))
    titles = {}
    for page in ordered:
        headings = notebook_headings(notebooks_dir / page.notebook)
        titles[page.notebook] = headings[0] if headings else Path(page.notebook).stem
    for number, page in enumerate(ordered):
        target = out_dir / page.html
        if not target.exists():
            continue
        bar = navigation_bar(
            page,
            ordered[number - 1] if number else None,
            ordered[number + 1] if number + 1 < len(ordered) else None,
            source_links(page.notebook, repository, ref, notebooks_dir),
            titles,
        )
        target.write_text(with_navigation(target.read_text(encoding="utf-8"), bar), encoding="utf-8")


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
    parser.add_argument(
        "--stop-after",
        type=float,
        default=0,
        help="minutes after which no new notebook starts (0: no limit); the next build goes on from there",
    )
    parser.add_argument("--repository", help="the GitHub address the pages link to (default: repository_url())")
    parser.add_argument("--ref", default=source_ref(), help="the branch or commit those links show")
    args = parser.parse_args(argv)
    started = time.monotonic()
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
        if args.stop_after and time.monotonic() - started > args.stop_after * 60:
            print(f"Stopped after {args.stop_after:g} min: {len(todo) - number + 1} notebooks left for the next build")
            break
        print(f"[{number}/{len(todo)}] {path.relative_to(NOTEBOOKS)} ...", flush=True)
        page = render(path, out_dir, small, args.budget)
        print(f"    {page.status}, {page.data} data, {page.seconds:.0f} s", flush=True)
        pages[page.notebook] = page
        save_pages(out_dir, pages)  # after every page: an interrupted build keeps what it finished
    current = {path.relative_to(NOTEBOOKS).as_posix() for path in course_notebooks()}
    shown = [page for name, page in pages.items() if name in current]
    pending = sorted(current - set(pages))
    repository = repository_url(args.repository)
    if not repository:
        print("No repository address (pyproject [project.urls], GITHUB_REPOSITORY or git remote): no source links")
    write_navigation(out_dir, shown, repository, args.ref)
    print(f"Wrote {write_index(out_dir, shown, small, pending, repository=repository, ref=args.ref)}")
    return 0 if all(page.status == "ok" for page in shown) else 1


if __name__ == "__main__":
    sys.exit(main())
