"""Where the command line writes what went wrong: one file per unexpected error, outside the repository.

The terminal gets one line; the traceback goes to
``$SURVEY_LOG_DIR`` or ``$XDG_STATE_HOME/survey-workspace/logs/`` (by default
``~/.local/state/survey-workspace/logs/``), with every mobile and resident ID number masked.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

from survey.masking import mask_text


def log_dir() -> Path:
    env = os.environ.get("SURVEY_LOG_DIR")
    if env:
        return Path(env).expanduser()
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "survey-workspace" / "logs"


def write_crash_log(error: BaseException) -> Path | None:
    """Write the traceback (masked) to a new log file; its path, or None when it cannot be written."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    body = f"survey {' '.join(sys.argv[1:])}\n{time.strftime('%Y-%m-%d %H:%M:%S %z')}\n\n{text}"
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"survey-{stamp}-{os.getpid()}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(str(mask_text(body)))
        return path
    except OSError:
        return None
