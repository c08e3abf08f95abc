"""Jinja2 templates shipped inside the wheel as package data (see pyproject.toml)."""
