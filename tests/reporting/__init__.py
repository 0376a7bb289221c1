"""Tests of app/reporting."""
