"""The model zoo: one module per network, a registry, and FLOP counting."""
