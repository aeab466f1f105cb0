"""Pseudo-labels: the local and global annotators fused and regularised (notebook 05)."""
