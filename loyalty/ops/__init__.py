"""Operations: health and readiness probes, Prometheus metrics, request log lines, JSON logs, error reporting."""
