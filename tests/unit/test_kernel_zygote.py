"""The test suite's forked kernels (tests/notebooks/kernel_zygote.py) behave like fresh ones where a notebook can
tell: their own folder, environment and process; an interrupt stops a cell; when jupyter_client stops the
kernel, the kernel and what it started go too."""

import json
import os
import sys
import time

import pytest
from jupyter_client import KernelManager

from includes import settings
from includes.setup import fork_server
from tests.notebooks import kernel_zygote
from tests.notebooks.kernel_zygote import KERNEL_NAME, Zygote, kernel_name_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked kernels are used on Linux only")


@pytest.fixture(scope="module")
def zygote():
    started = Zygote(dict(os.environ), preloaded=("json", "ipykernel.kernelapp"))  # light: no TensorFlow here
    problem = started.ready(timeout=60)
    assert problem is None, problem
    yield started
    started.stop()


@pytest.fixture
def kernel(zygote, monkeypatch, tmp_path):
    for name, value in zygote.environment({}).items():
        monkeypatch.setenv(name, value)
    manager = KernelManager(kernel_name=KERNEL_NAME)
    manager.start_kernel(cwd=str(tmp_path), env={**os.environ, "LEARNER_MARKER": "ada"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield manager, client
    client.stop_channels()
    if manager.is_alive():
        manager.shutdown_kernel(now=True)


def run(client, code: str, timeout: float = 30) -> tuple[str, dict]:
    printed = []

    def keep_stdout(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=timeout, output_hook=keep_stdout)
    return "".join(printed), reply["content"]


def gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not fork_server.alive(pid):
            return True
        time.sleep(0.2)
    return False


def test_a_forked_kernel_has_its_own_folder_environment_and_process_with_the_libraries_loaded(zygote, kernel, tmp_path):
    _, client = kernel
    printed, reply = run(
        client,
        "import json, os, sys\n"
        "print(json.dumps({'cwd': os.getcwd(), 'path0': sys.path[0], 'pid': os.getpid(),\n"
        "    'marker': os.environ.get('LEARNER_MARKER'), 'preloaded': 'json' in sys.modules,\n"
        "    'inline': os.environ.get('MPLBACKEND')}))",
    )
    assert reply["status"] == "ok"
    seen = json.loads(printed)
    assert seen["cwd"] == str(tmp_path) and seen["path0"] == str(tmp_path)
    assert seen["marker"] == "ada", "the kernel gets the environment jupyter_client gave its stand-in"
    assert seen["pid"] != zygote.process.pid and seen["preloaded"]
    assert seen["inline"] == "module://matplotlib_inline.backend_inline"


def test_an_interrupt_stops_the_running_cell(kernel):
    manager, client = kernel
    msg_id = client.execute("import time\ntime.sleep(60)")
    time.sleep(1.5)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=20)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    # ipykernel aborts the requests that reach it just after an error (stop_on_error), so the next cell may come
    # back "aborted" a few times before the kernel takes it; a kernel that is gone would time out here.
    for _ in range(10):
        reply = client.execute_interactive("two = 1 + 1", user_expressions={"two": "two"}, timeout=30)["content"]
        if reply["status"] != "aborted":
            break
        time.sleep(0.5)
    assert reply["status"] == "ok", "the kernel goes on after an interrupt"
    assert reply["user_expressions"]["two"]["data"]["text/plain"] == "2"


def test_stopping_the_kernel_ends_it_and_what_it_started(kernel):
    manager, client = kernel
    printed, _ = run(
        client, "import os, subprocess\nchild = subprocess.Popen(['sleep', '120'])\nprint(os.getpid(), child.pid)"
    )
    kernel_pid, child_pid = map(int, printed.split())
    manager.shutdown_kernel(now=True)  # what the test runner does: kill the process jupyter_client started
    assert gone(kernel_pid) and gone(child_pid)


def test_notebooks_that_choose_keras_backend_get_a_fresh_kernel(monkeypatch):
    monkeypatch.setenv(kernel_zygote.SOCKET_ENV, "/tmp/zygote.sock")
    assert kernel_name_for("import keras") == KERNEL_NAME
    assert kernel_name_for('os.environ["KERAS_BACKEND"] = "torch"') == "python3"
    monkeypatch.delenv(kernel_zygote.SOCKET_ENV)
    assert kernel_name_for("import keras") == "python3", "no zygote serving: ordinary kernels"


def test_the_setting_says_forked_or_fresh(monkeypatch):
    monkeypatch.delenv(settings.TEST_KERNELS_ENV, raising=False)
    assert settings.forked_test_kernels() is (sys.platform == "linux")
    monkeypatch.setenv(settings.TEST_KERNELS_ENV, "fresh")
    assert settings.forked_test_kernels() is False
    monkeypatch.setenv(settings.TEST_KERNELS_ENV, "sometimes")
    with pytest.raises(ValueError, match="say `forked` or `fresh`"):
        settings.forked_test_kernels()
