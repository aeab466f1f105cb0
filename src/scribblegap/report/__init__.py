"""The report: the paper's claims decided from the results files, tables, figures and report.md."""
