"""`report KIND ...`: one sub-command per report, registered by the modules in REPORT_MODULES."""

from __future__ import annotations

from cli import report_attainment, report_performance, report_targets

REPORT_MODULES: list = [report_attainment, report_targets, report_performance]
"""Modules with `register_reports(report_commands)` adding e.g. `report attainment`."""


def register(commands) -> None:
    if not REPORT_MODULES:
        return
    report = commands.add_parser("report", help="print a report as a table, CSV or JSON")
    report_commands = report.add_subparsers(dest="report", required=True)
    for module in REPORT_MODULES:
        module.register_reports(report_commands)
