"""tansiq: a joint security coordination platform for partners that only partly trust each other."""

__version__ = "0.1.0"
