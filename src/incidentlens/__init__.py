"""IncidentLens: a sourced dataset of IT-provider-route cyber incidents, and tools over it."""

__version__ = "0.1.0"
