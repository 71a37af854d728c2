"""rbo: the rolling ball optimizer."""
