"""Built-in connectors: one module per processor, each a pluggy plugin loaded by aggregator.plugins."""
