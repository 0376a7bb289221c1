"""Tests of app/incubation."""
