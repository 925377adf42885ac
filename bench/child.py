"""`python -m bench.child '<cell config JSON>'`: another name for the cell's entry point, for launchers that
start cells by it (a remote node's); the entry point itself is bench.cell.child."""

import sys

from bench.cell.child import main

if __name__ == "__main__":
    main(sys.argv)
