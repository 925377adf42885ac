"""The runner side: what starts cells, and where (this machine's processes, or a Ray cluster's nodes)."""
