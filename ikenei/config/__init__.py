"""Configuration: the settings (the only reader of the environment) and where the SQL files live."""
