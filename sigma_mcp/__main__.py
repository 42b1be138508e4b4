"""`python -m sigma_mcp`: the same as the `sigma-mcp` command."""

from sigma_mcp.cli import main

if __name__ == "__main__":
    main()
