"""Personal data over its life: key rotation, GDPR export and erasure, retention."""
