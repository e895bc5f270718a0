"""Presentation layer: tables, figures and the HTML report."""
