"""What a cell is, shared by both sides of the process boundary: the axis table, Cell, the record's
fields, matrix files."""
