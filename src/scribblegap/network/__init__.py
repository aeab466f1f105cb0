"""The network: segmentation models, losses, training (F, B, W, R), inference and the global annotator's
predictions (notebooks 04 and 06)."""
