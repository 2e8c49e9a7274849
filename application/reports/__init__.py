"""Reports from a user's closed signals (SPEC §12)."""

from application.reports.use_cases import EquityReport, ReportRequest, ReturnsReport

__all__ = ["EquityReport", "ReportRequest", "ReturnsReport"]
