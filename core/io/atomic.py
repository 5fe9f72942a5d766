"""Write-then-rename so that a crash or cancel never leaves a half-written output, and the checks that
refuse an output path up front (a folder in its place, an input it would replace, a folder that cannot
be written, a name too long, not enough disk)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import OutputError
from .limits import check_disk, existing_folder, free_bytes


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_FILE_MODE = 0o666 & ~_read_umask()

# Temporary names are ".<stem>.<host><pid>-<random>.part<suffix>": the host and pid say whose file it
# is, so that a later write of the same output removes the leftovers of a killed run (SIGKILL, power
# loss: nothing in the process could remove them) and never a file another live process is writing.
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]
_STEM_CHARS = 64  # of the output's stem in the temporary name, which must fit the name limit too
_PART = re.compile(r"^\.(?P<stem>.*)\.(?P<host>[0-9a-f]{4})(?P<pid>\d+)-[^.]+\.part(?P<suffix>.*)$")
_FOREIGN_AGE_S = 24 * 3600  # another host's leftovers: removed only when a day old (its pid says nothing here)

# What an errno means for someone writing a file, in plain words.
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is too large for this file system",
    errno.EROFS: "the folder is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "the name is too long for this file system",
    errno.EISDIR: "a folder of that name is in the way",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "the folder does not exist or cannot hold files",
    errno.EEXIST: "a file of that name is in the way",
}
_FULL = (_REASONS[errno.ENOSPC], _REASONS[errno.EDQUOT])
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def os_error_reason(e: OSError, folder=None) -> str:
    """Plain words for an OSError met while writing. Some writers (numpy's tofile, zlib streams)
    raise one without an errno when the disk fills up: then a folder with (almost) no free space
    left is named as the reason."""
    if e.errno in _REASONS:
        return _REASONS[e.errno]
    if folder is not None and free_bytes(folder) < 2**16:
        return _REASONS[errno.ENOSPC]
    return e.strerror or str(e) or type(e).__name__


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def _temp_stem(final: Path) -> str:
    return final.stem[:_STEM_CHARS]


def stale_parts(final: str | os.PathLike) -> list[Path]:
    """Temporary files of earlier writes of ``final`` whose process is gone (killed mid-write)."""
    final = Path(final)
    found = []
    try:
        entries = list(os.scandir(final.parent))
    except OSError:
        return []
    for entry in entries:
        m = _PART.match(entry.name)
        if not m or m["stem"] != _temp_stem(final) or m["suffix"] != final.suffix:
            continue
        pid = int(m["pid"])
        if m["host"] == _HOST:
            stale = pid != os.getpid() and not _alive(pid)
        else:
            with contextlib.suppress(OSError):
                stale = time.time() - entry.stat().st_mtime > _FOREIGN_AGE_S
        if stale:
            found.append(Path(entry.path))
    return found


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (links and other spellings included; by name if one is missing)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _check_name_lengths(path: Path) -> None:
    """Refuse a path with a part longer than its file system allows (255 bytes on most)."""
    longest = max(len(os.fsencode(part)) for part in Path(os.path.abspath(path)).parts)
    try:
        name_max = os.pathconf(existing_folder(path.parent), "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    if longest > name_max:
        raise OutputError(f"Cannot write {path}: a name of {longest} bytes is longer than this file system "
                          f"allows ({name_max}). Choose a shorter name.")


def _check_creatable(path: Path, within: Path) -> Path:
    """Refuse ``path`` when files could not be created in the folder ``within`` (created as needed);
    returns the nearest existing folder of ``within``."""
    folder = existing_folder(within)
    if not folder.is_dir():
        raise OutputError(f"Cannot write {path}: {folder} is a file, not a folder.")
    try:  # the only sure test of "can a file be made here" (root ignores modes; /proc refuses anyway)
        fd, probe = tempfile.mkstemp(prefix=".seqgen-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"Cannot write {path}: {os_error_reason(e)} ({folder}).") from None
    return folder


def check_output_folder(folder: str | os.PathLike, what: str = "The output folder") -> Path:
    """Refuse, before any work, an output folder that is a file or could not be created or written."""
    folder = Path(folder).expanduser()
    _check_name_lengths(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what} {folder} is a file; give a folder.")
    _check_creatable(folder, folder)
    return folder


def check_output(path: str | os.PathLike, *, inputs: Iterable = (), nbytes: int = 0,
                 what: str = "The output") -> Path:
    """Refuse, before any work, an output ``path`` that could not be written or would replace an input.

    Checks: not an existing folder; not one of ``inputs`` (files) nor inside an input folder; a
    name the file system accepts; a folder (or, when it is missing, the nearest existing one, in
    which it would be created) where a file can be created, proven by creating and removing a probe;
    at least ``nbytes`` free. Creates nothing. Raises OutputError with one plain sentence.
    """
    path = Path(path).expanduser()
    _check_name_lengths(path)  # first: is_dir() itself fails on a name that is too long
    if path.is_dir():
        raise OutputError(f"{what} {path} is a folder; give a file name.")
    for src in inputs or ():
        if src is None:
            continue
        src = Path(src).expanduser()
        if src.is_dir() and _same_file(path.parent, src):
            raise OutputError(f"{what} {path} is inside the input folder {src}: it would be read as part of "
                              "the input next time. Choose another folder.")
        if _same_file(path, src):
            raise OutputError(f"{what} {path} is the input file: an input is never replaced. "
                              "Choose another name.")
    folder = _check_creatable(path, path.parent)
    if nbytes:
        check_disk(int(nbytes), folder, f"Writing {path.name}")
    return path


def check_outputs(paths: Iterable, *, inputs: Iterable = (), nbytes_each: int = 0, what: str = "The output") -> list:
    """``check_output`` for several files written side by side (their sizes add up on one disk)."""
    paths = [Path(p) for p in paths]
    inputs = list(inputs or ())
    for p in paths:
        check_output(p, inputs=inputs, what=what)
    if paths and nbytes_each:
        check_disk(int(nbytes_each) * len(paths), paths[0].parent, f"Writing {len(paths)} file(s)")
    return paths


def _missing_folders(folder: Path) -> list[Path]:
    """The folders of ``folder`` that do not exist yet, deepest first (a failed write removes them again)."""
    out, p = [], Path(os.path.abspath(folder))
    while not p.exists() and p != p.parent:
        out.append(p)
        p = p.parent
    return out


def _remove_empty(folders: list[Path]) -> None:
    for f in folders:
        with contextlib.suppress(OSError):
            f.rmdir()


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` (same suffix); rename it over ``final`` on success.

    The temporary file lives in the same folder so that ``os.replace`` is an atomic rename on the
    same file system; on any exception (Ctrl+C and SIGTERM in the CLI included) it is removed and
    ``final`` is left untouched. ``check_output`` runs first. Temporary files of earlier writes of ``final`` whose process was
    killed are removed first. A write that fails for lack of space, permission or the like raises
    OutputError naming the file and the reason.
    """
    final = Path(final)
    check_output(final)  # the same plain words for every writer (a file in the path, /proc, a long name)
    created = _missing_folders(final.parent)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        for old in stale_parts(final):
            with contextlib.suppress(OSError):
                old.unlink()
        fd, tmp = tempfile.mkstemp(prefix=f".{_temp_stem(final)}.{_HOST}{os.getpid()}-",
                                   suffix=f".part{final.suffix}", dir=final.parent)
        os.close(fd)
    except OSError as e:
        _remove_empty(created)
        reason = os_error_reason(e, final.parent)
        raise OutputError(f"Cannot write {final}: {reason}.", disk_full=reason in _FULL) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _FILE_MODE)  # mkstemp makes 0600; outputs get the usual permissions
        os.replace(tmp_path, final)
    except BaseException as exc:
        # Only failures of the write itself become an OutputError: an OSError from reading an input
        # inside the block (a generator of pages, say) keeps its own type and message. The reason
        # is read before the temporary file goes: removing it frees the space that ran out.
        ours = isinstance(exc, OSError) and not isinstance(exc, OutputError) and (
            exc.errno in WRITE_ERRNOS or exc.errno is None or exc.filename in (str(tmp_path), str(final)))
        reason = os_error_reason(exc, final.parent) if ours else ""
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        _remove_empty(created)
        if ours:
            raise OutputError(f"Cannot write {final}: {reason}.", disk_full=reason in _FULL) from exc
        raise
