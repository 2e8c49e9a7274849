"""Helpers shared by tests: plain functions and classes, no tests and no fixtures."""
