"""galaxybench: measure what this computer can do for deep-learning image classification."""

from bench.importblock import install_from_env as _block_imports

__version__ = "0.1.0"

_block_imports()  # test hook BENCH_BLOCK_IMPORTS: a no-op unless tests set it
