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
