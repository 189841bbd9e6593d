"""One module per ecosystem, each holding the extractors of its lockfile formats."""
