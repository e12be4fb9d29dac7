"""Legal holds: what stops the retention engine deleting (RET-02, ERA-02)."""
