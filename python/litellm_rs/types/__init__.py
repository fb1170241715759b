"""Type modules, mirroring litellm's ``litellm.types`` package (``litellm_rs.types.utils`` holds the
response types). Importing this package alone loads nothing heavy."""
