"""The edge to matching/: exchange records in, stored suggestions out, the match board."""
