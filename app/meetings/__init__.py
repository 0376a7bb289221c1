"""推进会议: matchmaking meetings with two-way selection and an optimal 1:1 schedule."""
