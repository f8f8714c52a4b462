"""Running Cityscreen beyond `make run`: the local sign-in with a real OpenID Connect provider."""
