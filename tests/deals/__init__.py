"""Tests of app/deals."""
