"""Browser tests: real Chromium driving a live server through Playwright."""
