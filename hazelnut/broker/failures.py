"""The latest error of recently failed tasks, so a dead-lettered message can say why it died.

Celery rejects a failed task's message before it sends `task_failure`, and the transport only
sees the reject; the signal handler records the error here by task id, and the transport reads
it when it writes the dead-letter record a moment later, in the same process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

# under the prefork pool the error is raised (and signalled) in the child process while the parent
# rejects, so those dead letters carry the reason and origin but no error text.
# Limit: prefork dead letters carry the reason and origin but not the error text.
_CAPACITY = 2048
_MAX_TEXT = 2000

_lock = threading.Lock()
_errors: OrderedDict[str, str] = OrderedDict()


def remember(task_id: str, error: BaseException) -> None:
    text = f"{type(error).__name__}: {error}"[:_MAX_TEXT]
    with _lock:
        _errors[task_id] = text
        _errors.move_to_end(task_id)
        while len(_errors) > _CAPACITY:
            _errors.popitem(last=False)


def error_for(task_id: str | None) -> str | None:
    if task_id is None:
        return None
    with _lock:
        return _errors.get(task_id)
