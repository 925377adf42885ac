"""What a cell does once its process is set up: one module per mode (throughput, train, budget)."""
