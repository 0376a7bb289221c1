"""Tests of app/projects."""
