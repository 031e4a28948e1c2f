"""The local demo stack (``make demo`` / ``ms-monitor demo``)."""
