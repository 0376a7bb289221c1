"""Demo data: accounts for every role, projects and the deals around them, loaded through the operations."""
