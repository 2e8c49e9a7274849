"""The wire formats of the HTTP endpoints: msgspec structs, their decoding and their OpenAPI."""
