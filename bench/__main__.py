"""`python -m tinybench` is the same as the `tinybench` command."""

from tinybench.cli import main

main()
