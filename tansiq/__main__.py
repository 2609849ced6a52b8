"""`python -m tansiq` runs the command line."""

from tansiq.cli import main

main()
