"""Datasets: specs, download/verify/import, the HDF5 store and the tf.data pipeline."""
