"""Reports on run folders: charts, report.html, summary.md, results.csv, and cross-run compare.

``python -m bench report RUN_DIR`` writes RUN_DIR/charts/*.png|svg, RUN_DIR/report.html (one
self-contained page), RUN_DIR/summary.md and RUN_DIR/results.csv. ``python -m bench compare A B ...``
writes compare.html, compare.csv and charts (default folder A/compare). Modules: load (run folder ->
DataFrame), charts, estimate (full-training times), recommend, tables, html, summary, make (report
files), compare (noise rule), compare_charts, compare_report (compare files), screenshot (headless
Chromium check of a page).
"""
