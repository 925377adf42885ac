"""Measurement trackers used inside a cell's process: timing, memory, accuracy, energy."""
