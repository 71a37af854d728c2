"""The task registry: ``TASKS[name] -> Task``.

Adding a task is one module defining a :class:`~rbo.sweep.Task` (its function and the
declaration of its parameters and metrics) and one line here (or a call to
:func:`register_task` from user code).
"""
from __future__ import annotations

from ._analytic import ANALYTIC
from ._spec import Task
from ._train import TRAIN
from ._verify import VERIFY

__all__ = ["TASKS", "register_task", "get_task"]

#: every task a study may name
TASKS: dict = {t.name: t for t in (ANALYTIC, TRAIN, VERIFY)}


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Make ``task`` available to studies under ``task.name``.

    Its function must be importable by the workers (a module-level function of an
    importable module): Dask sends it by reference.

    Parameters
    ----------
    task : Task
    replace : bool
        Replace a registered task of the same name.

    Returns
    -------
    task : Task
        The task given.

    See Also
    --------
    get_task, Task

    Examples
    --------
    >>> from rbo.sweep import Task, Param, CellOutput, register_task, get_task
    >>> def square(config, deadline):
    ...     return CellOutput({"value": config["x"] ** 2})
    >>> t = register_task(Task("square-demo", square, {"x": Param("float")}, metrics=("value",),
    ...                        primary=("value", "min"), seed=None), replace=True)
    >>> get_task("square-demo").fn({"x": 3.0}, None).metrics
    {'value': 9.0}
    """
    if not isinstance(task, Task):
        raise TypeError(f"register_task takes a rbo.sweep.Task, got {type(task).__name__}")
    if task.name in TASKS and not replace and TASKS[task.name] is not task:
        raise ValueError(f"a task named {task.name!r} is already registered; pass replace=True")
    TASKS[task.name] = task
    return task


def get_task(task) -> Task:
    """The registered :class:`Task` of a name.

    Parameters
    ----------
    task : str or Task
        A name in :data:`TASKS`; a Task is returned unchanged.

    Returns
    -------
    task : Task

    See Also
    --------
    register_task

    Examples
    --------
    >>> from rbo.sweep import get_task
    >>> get_task("rbo-analytic").primary
    ('final_loss', 'min')
    """
    if isinstance(task, Task):
        return task
    if not isinstance(task, str):
        raise TypeError(f"task must be a task name or a rbo.sweep.Task, got {type(task).__name__}")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return TASKS[task]
