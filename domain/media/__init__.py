"""Charts and their media cache: specs, keys and ports."""
