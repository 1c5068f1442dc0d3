"""Clients of callplane, kept out of the service images: the `callplane` command (`cli`) and the
typed publisher an upstream edge uses to send InboundCall events and await decisions
(`publisher`)."""
