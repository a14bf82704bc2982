"""The decoding thread's scheduling priority (its nice value), set from the thread itself.

Ray starts its worker processes at nice 15 (its `worker_niceness`), so that they yield to Ray's own daemons.
On a CPU replica the decoding thread does nearly all of the replica's work, one core's worth, and at nice 15
it also yields to every ordinary process on the machine (a benchmark's clients, another server), whose
bursts take its core while every running request waits for its next token. Giving the decoding thread an
ordinary priority (or a higher one) keeps its core when they compete; the Serve proxy and the replica's
event loop, still at Ray's value, get every core it does not use.

Linux sets a nice value per thread (by its native id); elsewhere the call would change the whole process, so
this does nothing there. Going below the current value needs CAP_SYS_NICE (root, or a container granted it):
without it the thread keeps its value and a warning says so.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger("ray.serve")


def current_thread_nice() -> int | None:
    """The calling thread's nice value; None where it is not per thread (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def set_current_thread_nice(nice: int) -> bool:
    """Give the calling thread ``nice``; True if it has it now. A refusal is logged, not raised: the thread
    runs as before, only with less of the CPU when others compete for it."""
    if current_thread_nice() is None:
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError as exc:  # EPERM/EACCES without CAP_SYS_NICE
        logger.warning(
            "could not set the decoding thread's nice value to %d (%s); it stays at %d. Grant CAP_SYS_NICE, "
            "start Ray with RAY_worker_niceness=0, or set llm_runtime.decode_thread_nice to null.",
            nice, exc, current_thread_nice(),
        )
        return False
    return True
