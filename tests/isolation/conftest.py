"""Prints the matrix's figures (networks, read cells, write attempts) after the run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from .test_matrix import STATS

    if STATS:
        terminalreporter.section("isolation matrix")
        for key, value in STATS.items():
            shown = f"{value:.1f}" if isinstance(value, float) else value
            terminalreporter.write_line(f"{key}: {shown}")
