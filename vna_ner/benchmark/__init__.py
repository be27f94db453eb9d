"""The benchmark: reading predictions, scoring with seqeval, the leaderboard."""
