"""galaxybench: measure what this computer can do for deep-learning image classification."""

__version__ = "0.1.0"
