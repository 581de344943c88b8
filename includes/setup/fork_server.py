"""Asking a process that has already imported the heavy libraries to fork a new process (Linux only).

The test suite keeps one such process per lane, its kernel *zygote* (tests/notebooks/kernel_zygote.py): the
lane's notebook kernels, and the Python worker daemons their SparkSessions start (``spark_daemon``), are forks
of it, so they begin with TensorFlow and Keras in memory instead of spending seconds of CPU importing them.
Both ends read the request's format here: a length-prefixed JSON object (``role``, ``cwd``, ``env`` and what
the role needs), sent with the asking process's stdin, stdout and stderr, answered with the new process's id.
"""

from __future__ import annotations

import json
import os
import socket
import struct

SOCKET_ENV = "COURSE_KERNEL_ZYGOTE"  # set for the lanes' notebooks while a zygote serves: its Unix socket
_LENGTH = struct.Struct("!Q")


def request_fork(request: dict, socket_path: str | None = None) -> int:
    """Ask the zygote (``socket_path``, default ``$COURSE_KERNEL_ZYGOTE``) for a process as ``request`` describes
    it, standing on this process's stdin, stdout and stderr; return its process id."""
    payload = json.dumps(request).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(socket_path or os.environ[SOCKET_ENV])
        socket.send_fds(connection, [_LENGTH.pack(len(payload)) + payload], [0, 1, 2])
        return json.loads(connection.recv(1 << 10))["pid"]


def receive_request(connection: socket.socket) -> tuple[dict, list[int]]:
    """The zygote's side of ``request_fork``: the request and the three file descriptors sent with it."""
    data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while len(data) < _LENGTH.size or len(data) < _LENGTH.size + _LENGTH.unpack_from(data)[0]:
        chunk = connection.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the request ended early")
        data += chunk
    return json.loads(data[_LENGTH.size :]), list(fds)


def answer(connection: socket.socket, pid: int) -> None:
    connection.sendall(json.dumps({"pid": pid}).encode())


# --- the asker's side, once it stands in for the forked process -----------------------------------------------


def alive(pid: int) -> bool:
    """Whether process ``pid`` still exists (the forked process is the zygote's child, not the asker's: it
    cannot be waited for, only looked for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pass_on(pid: int, signum: int, group: bool = False) -> None:
    """Send ``signum`` to the forked process (or its whole process group), if it is still there."""
    try:
        os.killpg(pid, signum) if group else os.kill(pid, signum)
    except ProcessLookupError:
        pass
