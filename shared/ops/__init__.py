"""Operations: alerts, metrics endpoints, gauges and the status command that on-call people use."""
