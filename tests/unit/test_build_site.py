"""The site renders every demo and lab solution, never a student lab."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_build_site():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_covers_demos_and_solutions_only():
    pages = load_build_site().course_notebooks()
    names = {(p.parent.name, p.name) for p in pages}
    assert ("01_keras", "01.2_keras.ipynb") in names
    assert ("solutions", "01.2L_keras_lab.ipynb") in names
    assert ("01_keras", "01.2L_keras_lab.ipynb") not in names


def test_index_links_every_page(tmp_path):
    build_site = load_build_site()
    source = ROOT / "notebooks" / "01_keras" / "01.2_keras.ipynb"
    page = tmp_path / "01_keras" / "01.2_keras.html"
    index = build_site.write_index(tmp_path, [(source, page, 12.0, "ok")], small=True)
    text = index.read_text()
    assert "href='01_keras/01.2_keras.html'" in text and "small-data version" in text
