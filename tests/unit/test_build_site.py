"""The site renders every demo and lab solution, never a student lab, and remembers what it built."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "notebooks" / "01_keras" / "01.2_keras.ipynb"


def load_build_site():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_site"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def page_for(build_site, data="full", note="", status="ok", digest=None):
    return build_site.Page(
        notebook="01_keras/01.2_keras.ipynb",
        html="01_keras/01.2_keras.html",
        digest=digest or build_site.digest(DEMO),
        data=data,
        seconds=12.0,
        status=status,
        note=note,
        commit="abc1234",
        built="2026-11-21",
    )


def test_site_covers_demos_and_solutions_only():
    pages = load_build_site().course_notebooks()
    names = {(p.parent.name, p.name) for p in pages}
    assert ("01_keras", "01.2_keras.ipynb") in names
    assert ("solutions", "01.2L_keras_lab.ipynb") in names
    assert ("01_keras", "01.2L_keras_lab.ipynb") not in names


def test_index_links_every_page_and_says_which_data_it_shows(tmp_path):
    build_site = load_build_site()
    note = "with full data a cell ran over 10 min on this machine"
    index = build_site.write_index(tmp_path, [page_for(build_site, data="small", note=note)], small=False)
    text = index.read_text()
    assert "href='01_keras/01.2_keras.html'" in text
    assert note in text and "abc1234" in text


def test_manifest_round_trip_and_which_pages_are_kept(tmp_path):
    build_site = load_build_site()
    (tmp_path / "01_keras").mkdir()
    (tmp_path / "01_keras" / "01.2_keras.html").write_text("<html></html>")
    build_site.save_pages(tmp_path, {"01_keras/01.2_keras.ipynb": page_for(build_site)})
    page = build_site.load_pages(tmp_path)["01_keras/01.2_keras.ipynb"]
    assert page == page_for(build_site)

    kept = build_site.is_up_to_date
    assert kept(page, DEMO, tmp_path, small=False)
    assert not kept(page, DEMO, tmp_path, small=True), "a full-data page is not the small-data version"
    assert not kept(page_for(build_site, digest="0" * 16), DEMO, tmp_path, small=False), "notebook changed"
    assert not kept(page_for(build_site, status="stopped: CellExecutionError"), DEMO, tmp_path, small=False)
    assert kept(page_for(build_site, data="small", note="over budget"), DEMO, tmp_path, small=False)
    assert not kept(page_for(build_site, data="small"), DEMO, tmp_path, small=False)
    (tmp_path / "01_keras" / "01.2_keras.html").unlink()
    assert not kept(page, DEMO, tmp_path, small=False), "the page file is gone"


def test_progress_bars_keep_only_their_last_state():
    import nbformat

    build_site = load_build_site()
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fit()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="\rtraining: 0/2"),
        nbformat.v4.new_output("stream", name="stderr", text="\rtraining: 1/2"),
        nbformat.v4.new_output("stream", name="stderr", text="\rtraining: 2/2\nloss 0.3\r\n"),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
    ]
    notebook.cells.append(cell)
    build_site.collapse_progress_updates(notebook)
    assert [output["text"] for output in notebook.cells[0].outputs] == ["training: 2/2\nloss 0.3\n", "done\n"]


def test_only_selects_notebooks_by_name():
    """`--only` builds a subset (the browser test builds a one-page site with it)."""
    build_site = load_build_site()
    assert [p.name for p in build_site.course_notebooks("01.1_linear_regression")] == ["01.1_linear_regression.ipynb"]
    assert {p.name for p in build_site.course_notebooks("02.1*")} == {"02.1_mlflow.ipynb", "02.1L_mlflow_lab.ipynb"}
    assert all(p.parent.name == "solutions" for p in build_site.course_notebooks("02.1L*"))


# --- The index by module, the agenda from the README, the links and the navigation -----------------------------

AGENDA = """# A course

## Agenda

| module | demos | labs | status |
|---|---|---|---|
| 01 Keras | 01.2 Keras fundamentals with `Sequential` | 01.2L | ready |
| Appendix | A.1 What CNNs learn | | ready |

### Suggested schedule

| slot | day 1 |
|---|---|
| 09:00–10:30 | 01.2 Keras (demo) · lab 01.2L |

The Appendix is homework.

## Labs

| not | the agenda |
|---|---|
"""


def tiny_course(root: Path) -> Path:
    """Three notebooks of two modules (a demo, a lab's solution and its student version, an appendix page)."""
    import nbformat

    notebooks = root / "notebooks"
    for name, title in [
        ("01_keras/01.2_keras.ipynb", "# 01.2 Keras fundamentals\n\n## Dense layers"),
        ("01_keras/solutions/01.2L_keras_lab.ipynb", "# 01.2L Keras lab"),
        ("01_keras/01.2L_keras_lab.ipynb", "# 01.2L Keras lab"),
        ("10_appendix/A.1_what_cnns_learn.ipynb", "# A.1 What CNNs learn"),
    ]:
        notebook = nbformat.v4.new_notebook()
        notebook.cells.append(nbformat.v4.new_markdown_cell(title))
        (notebooks / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, notebooks / name)
    return notebooks


def tiny_page(build_site, notebook: str):
    return build_site.Page(
        notebook=notebook,
        html=notebook.replace(".ipynb", ".html"),
        digest="0" * 16,
        data="small",
        seconds=3.0,
        status="ok",
        commit="abc1234",
        built="2026-11-29",
    )


def test_agenda_is_read_from_the_readme_and_names_every_module():
    build_site = load_build_site()
    modules, schedule, after = build_site.read_agenda(build_site.README.read_text(encoding="utf-8"))
    folders = sorted(path.name for path in (ROOT / "notebooks").iterdir() if path.is_dir())
    titles = [build_site.module_for(folder, modules).title for folder in folders]
    assert titles[0] == "00 Introduction" and titles[9] == "09 Object detection" and titles[-1] == "Appendix"
    assert titles == [row["module"] for row in modules], "every notebooks/ folder has its line in the agenda"
    assert all(build_site.module_for(folder, modules).demos for folder in folders)
    assert schedule[0][0] == "slot" and len(schedule) > 2
    assert "homework" in after


def test_agenda_tables_and_the_paragraph_after_the_schedule():
    build_site = load_build_site()
    modules, schedule, after = build_site.read_agenda(AGENDA)
    assert modules == [
        {
            "module": "01 Keras",
            "demos": "01.2 Keras fundamentals with `Sequential`",
            "labs": "01.2L",
            "status": "ready",
        },
        {"module": "Appendix", "demos": "A.1 What CNNs learn", "labs": "", "status": "ready"},
    ]
    assert schedule == [["slot", "day 1"], ["09:00–10:30", "01.2 Keras (demo) · lab 01.2L"]]
    assert after == "The Appendix is homework."
    assert build_site.module_for("10_appendix", modules).title == "Appendix"
    assert build_site.module_for("03_hyperopt", modules).title == "03 Hyperopt", "a folder the agenda lacks"


def test_course_order_puts_a_lab_after_its_demo():
    build_site = load_build_site()
    names = [
        "01_keras/solutions/01.2L_keras_lab.ipynb",
        "01_keras/01.10_later.ipynb",
        "01_keras/01.2_keras.ipynb",
        "00_introduction/00.1_introduction.ipynb",
        "01_keras/01.0_fundamentals.ipynb",
    ]
    assert sorted(names, key=build_site.course_key) == [
        "00_introduction/00.1_introduction.ipynb",
        "01_keras/01.0_fundamentals.ipynb",
        "01_keras/01.2_keras.ipynb",
        "01_keras/solutions/01.2L_keras_lab.ipynb",
        "01_keras/01.10_later.ipynb",
    ]


def test_source_links_of_a_demo_and_of_a_lab(tmp_path):
    build_site = load_build_site()
    notebooks = tiny_course(tmp_path)
    repo = "https://github.com/someone/course"
    assert build_site.source_links("01_keras/01.2_keras.ipynb", repo, "main", notebooks) == [
        ("notebook", f"{repo}/blob/main/notebooks/01_keras/01.2_keras.ipynb")
    ]
    assert build_site.source_links("01_keras/solutions/01.2L_keras_lab.ipynb", repo, "abc1234", notebooks) == [
        ("student version", f"{repo}/blob/abc1234/notebooks/01_keras/01.2L_keras_lab.ipynb"),
        ("solution", f"{repo}/blob/abc1234/notebooks/01_keras/solutions/01.2L_keras_lab.ipynb"),
    ]
    (notebooks / "01_keras" / "01.2L_keras_lab.ipynb").unlink()
    assert [
        label
        for label, _ in build_site.source_links("01_keras/solutions/01.2L_keras_lab.ipynb", repo, "main", notebooks)
    ] == ["solution"], "no link to a student version that does not exist"
    assert build_site.source_links("01_keras/01.2_keras.ipynb", None, "main", notebooks) == []


def test_repository_address_comes_from_one_place(tmp_path, monkeypatch):
    build_site = load_build_site()
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "actions-run/course")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    monkeypatch.setattr(build_site, "PYPROJECT", pyproject)
    assert build_site.repository_url() == "https://github.com/actions-run/course"
    pyproject.write_text('[project]\nname = "x"\n[project.urls]\nRepository = "https://github.com/owner/course.git"\n')
    assert build_site.repository_url() == "https://github.com/owner/course"
    assert build_site.repository_url("https://github.com/fork/course/") == "https://github.com/fork/course"


def test_index_groups_pages_by_module_with_the_agenda_and_links(tmp_path):
    build_site = load_build_site()
    notebooks = tiny_course(tmp_path)
    pages = [
        tiny_page(build_site, "10_appendix/A.1_what_cnns_learn.ipynb"),
        tiny_page(build_site, "01_keras/solutions/01.2L_keras_lab.ipynb"),
    ]
    index = build_site.write_index(
        tmp_path / "site",
        pages,
        small=True,
        pending=["01_keras/01.2_keras.ipynb"],
        agenda=AGENDA,
        repository="https://github.com/someone/course",
        notebooks_dir=notebooks,
    )
    text = index.read_text()
    keras, appendix = text.index("<h2>01 Keras</h2>"), text.index("<h2>Appendix</h2>")
    assert keras < appendix, "modules in folder order"
    keras_section = text[keras:appendix]
    # the demo (not built yet) comes before its lab, each with its title read from the notebook
    assert keras_section.index("01.2_keras") < keras_section.index("01.2L_keras_lab")
    assert "not built yet" in keras_section and "01.2 Keras fundamentals" in keras_section
    assert "<code>Sequential</code>" in keras_section, "the module's agenda line, with its markdown"
    assert "href='01_keras/solutions/01.2L_keras_lab.html'" in keras_section
    assert "blob/main/notebooks/01_keras/01.2L_keras_lab.ipynb'>student version" in keras_section
    assert "blob/main/notebooks/01_keras/solutions/01.2L_keras_lab.ipynb'>solution" in keras_section
    assert "blob/main/notebooks/01_keras/01.2_keras.ipynb'>notebook" in keras_section
    assert "09:00–10:30" in text and "The Appendix is homework." in text, "the schedule"
    assert "data-search='01.2_keras 01 keras 01.2 keras fundamentals dense layers'" in keras_section
    assert "id='search'" in text and "<script src" not in text, "the search box works offline"


def test_every_page_gets_a_bar_with_the_index_previous_next_and_source(tmp_path):
    build_site = load_build_site()
    notebooks = tiny_course(tmp_path)
    site = tmp_path / "site"
    pages = [
        tiny_page(build_site, name)
        for name in [
            "10_appendix/A.1_what_cnns_learn.ipynb",
            "01_keras/01.2_keras.ipynb",
            "01_keras/solutions/01.2L_keras_lab.ipynb",
        ]
    ]
    for page in pages:
        (site / page.html).parent.mkdir(parents=True, exist_ok=True)
        (site / page.html).write_text("<html><body class='jp-Notebook'><p>content</p></body></html>")
    repo = "https://github.com/someone/course"
    for _ in range(2):  # a second build replaces the bars instead of adding more
        build_site.write_navigation(site, pages, repo, "main", notebooks)

    demo = (site / "01_keras/01.2_keras.html").read_text()
    assert demo.count("<nav class='course-nav'") == 2, "a bar at the top and at the bottom"
    assert demo.startswith("<html><body class='jp-Notebook'><!-- course-nav -->")
    assert "href='../index.html'>Course index" in demo
    assert "rel='prev'" not in demo, "the first page of the course has no previous page"
    assert "rel='next' href='solutions/01.2L_keras_lab.html'>01.2L Keras lab →" in demo
    assert f"href='{repo}/blob/main/notebooks/01_keras/01.2_keras.ipynb'>notebook on GitHub" in demo

    lab = (site / "01_keras/solutions/01.2L_keras_lab.html").read_text()
    assert "href='../../index.html'" in lab
    assert "rel='prev' href='../01.2_keras.html'>← 01.2 Keras fundamentals" in lab
    assert "rel='next' href='../../10_appendix/A.1_what_cnns_learn.html'" in lab
    assert "student version on GitHub" in lab and "solution on GitHub" in lab

    appendix = (site / "10_appendix/A.1_what_cnns_learn.html").read_text()
    assert "rel='next'" not in appendix and "rel='prev' href='../01_keras/solutions/01.2L_keras_lab.html'" in appendix


def test_a_build_stopped_before_its_first_notebook_still_writes_the_whole_index(tmp_path):
    """--stop-after: no notebook starts after the time is up; the index lists what the next build will do."""
    build_site = load_build_site()
    site = tmp_path / "site"
    code = build_site.main(
        [
            "--only",
            "01.1_linear_regression",
            "--out",
            str(site),
            "--stop-after",
            "1e-9",
            "--repository",
            "https://github.com/o/r",
        ]
    )
    assert code == 0
    text = (site / "index.html").read_text()
    assert text.count("not built yet") == len(build_site.course_notebooks())
    assert "<h2>00 Introduction</h2>" in text and "<h2>Appendix</h2>" in text
    assert "https://github.com/o/r/blob/" in text
