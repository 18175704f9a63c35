"""gridgov: the "one net" (一张网) of an urban district."""

__version__ = "0.1.0"
