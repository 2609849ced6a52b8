"""The command line's sub-command groups, one module each; `tansiq.cli` assembles them."""
