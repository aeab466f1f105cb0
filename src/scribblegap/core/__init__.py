"""The small core every stage uses: errors, settings, options, file IO and output folders, parallel maps,
provenance, the file layout and the confusion matrix."""
