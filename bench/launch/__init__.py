"""The runner side: what starts cells, and where (this machine's processes, or a Ray cluster's nodes),
kills them, reads their records and stores them (never imports the cell side)."""
