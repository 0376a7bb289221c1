"""Tests of app/suggestions."""
