"""The benchmark: reading predictions, scoring with seqeval, error analysis, comparing systems, reports,
the leaderboard."""
