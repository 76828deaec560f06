"""Helpers every stage may use: safe writes, output sets, terminal text, retries."""
