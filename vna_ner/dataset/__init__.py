"""The dataset: alignment, splits and their Arrow files, features, loading, card and statistics."""
