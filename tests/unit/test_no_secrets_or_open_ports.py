"""No committed file holds a credential, and every server the course starts binds to 127.0.0.1."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = re.compile(
    r"AKIA[0-9A-Z]{16}"  # AWS access key
    r"|dapi[0-9a-f]{32}"  # Databricks personal access token
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|(?i:password|secret|api_key)\s*=\s*['\"][^'\"\s]{6,}['\"]"
)
ALL_INTERFACES = re.compile(r"0\.0\.0\.0|--ip[= ]\*|host\s*=\s*['\"]['\"]")


def tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in names.splitlines():
        path = ROOT / name
        if (
            path.suffix in {".py", ".ipynb", ".md", ".toml", ".in", ".txt", ".yml", ".sh", ".json", ""}
            and path.is_file()
        ):
            yield path


def test_no_credentials_are_committed():
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked_text_files()
        if path.name != Path(__file__).name and SECRETS.search(path.read_text(errors="ignore"))
    ]
    assert not offenders, f"these files look like they hold a credential: {offenders}"


def test_servers_listen_on_loopback_only():
    places = [ROOT / "Makefile", *ROOT.glob("includes/**/*.py"), *ROOT.glob("notebooks/**/*.ipynb")]
    offenders = [str(path.relative_to(ROOT)) for path in places if ALL_INTERFACES.search(path.read_text())]
    assert not offenders, f"bind servers to 127.0.0.1, not to every interface: {offenders}"
    assert "--ServerApp.ip=127.0.0.1" in (ROOT / "Makefile").read_text()
    serving = (ROOT / "includes" / "lessons" / "mlflow" / "helpers.py").read_text()
    assert re.search(r'"--host",\s*"127\.0\.0\.1"', serving), "the model server should bind to 127.0.0.1"
