"""One module per vendor, each defining ``App`` (a :class:`aggregator.sandbox.base.VendorApp`).

The sandbox discovers the modules here; adding a vendor needs no change anywhere else."""
