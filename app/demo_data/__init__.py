"""Packaged demo data (read by app.services.demo)."""
