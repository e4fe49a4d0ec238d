"""IVR flows: the model, the loader/validator for ivr_flows/*.yaml, and the pure interpreter."""
