"""The deterministic demo municipality."""
