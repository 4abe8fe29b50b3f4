"""Reporting (调度与报告): aggregates every service's events into status and metrics."""
