"""Reports on run folders: charts, report.html, summary.md, results.csv, and cross-run compare."""
