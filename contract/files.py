"""Private files: the rule every process follows for what it keeps on disk.

Databases, the knowledge index, the beat schedule and the generated secrets
hold API tokens, session keys and users' documents, so another account on
the same host must not read them. Directories are 0700 and files 0600
whatever the umask; an existing file or directory left wider by an earlier
version is narrowed on start. SQLite creates its -wal and -shm files with
the main file's mode, so a database created through ``private_file`` stays
private as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700, or narrow it to 0700."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIRECTORY_MODE:
        path.chmod(DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 in a private directory, or narrow it (and its SQLite
    -wal and -shm companions) to 0600."""
    private_directory(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    except FileExistsError:
        pass
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if each.stat().st_mode & 0o777 != FILE_MODE:
                each.chmod(FILE_MODE)
        except FileNotFoundError:
            pass
    return path
