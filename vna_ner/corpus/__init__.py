"""Tools that author this corpus: segmentation, stand-off files, consistency checks, agreement."""
