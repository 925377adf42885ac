"""The runner side: starts each cell's process, kills it, reads its record, stores it (never imports
the cell side)."""
