"""Label Studio I/O: reading and validating exports, the labeling config, writing tasks."""
