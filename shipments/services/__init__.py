"""Temporary: the next commit splits this package and drops the re-export."""

from .shipments import *  # noqa: F403
from .shipments import _line_errors, _next_number  # noqa: F401
